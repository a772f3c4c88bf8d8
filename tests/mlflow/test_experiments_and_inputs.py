"""Experiment tags (`mlflow.set_experiment_tag`; `mlflow.note.content` is the description) and
the datasets runs use (`mlflow.log_input`, sklearn autologging), as the client sends and reads them."""

import mlflow
import requests
from mlflow import MlflowClient

from helpers import expect_error, hexid


def test_experiment_tags_are_set_searched_and_deleted(client):
    name = f"quiver-exp-tags-{hexid()}"
    experiment_id = client.create_experiment(
        name, tags={"team": "growth", "mlflow.note.content": "Weekly **churn** model"}
    )
    assert client.get_experiment(experiment_id).tags == {
        "team": "growth",
        "mlflow.note.content": "Weekly **churn** model",
    }
    client.set_experiment_tag(experiment_id, "team", "risk")
    client.set_experiment_tag(experiment_id, "tier", "1")
    client.delete_experiment_tag(experiment_id, "mlflow.note.content")
    assert client.get_experiment_by_name(name).tags == {"team": "risk", "tier": "1"}

    found = mlflow.search_experiments(filter_string=f"tags.team = 'risk' AND name = '{name}'")
    assert [e.experiment_id for e in found] == [experiment_id]
    assert mlflow.search_experiments(filter_string=f"tags.team = 'growth' AND name = '{name}'") == []
    # Beyond MLflow: OR across tags and names.
    found = client.search_experiments(filter_string=f"tags.tier = '1' OR name = '{name}-nope'")
    assert experiment_id in [e.experiment_id for e in found]

    expect_error("RESOURCE_DOES_NOT_EXIST", client.delete_experiment_tag, experiment_id, "missing")
    expect_error("RESOURCE_DOES_NOT_EXIST", client.set_experiment_tag, "987654321", "team", "x")
    client.delete_experiment(experiment_id)
    expect_error("INVALID_STATE", client.set_experiment_tag, experiment_id, "team", "x")


def test_sklearn_autolog_records_the_training_data(client, iris):
    """`mlflow.sklearn.autolog()` logs the fit's dataset through runs/log-inputs; `log_input`
    adds an evaluation set. Both come back with the run, in get_run and search_runs."""
    from sklearn.linear_model import LogisticRegression

    X, y = iris
    experiment_id = client.create_experiment(f"quiver-autolog-{hexid()}")
    mlflow.sklearn.autolog(log_models=False)
    try:
        with mlflow.start_run(experiment_id=experiment_id) as run:
            LogisticRegression(max_iter=300).fit(X, y)
            evaluation = mlflow.data.from_pandas(X.assign(target=y), name="iris-eval", targets="target")
            mlflow.log_input(evaluation, context="eval", tags={"split": "holdout"})
    finally:
        mlflow.sklearn.autolog(disable=True)

    got = client.get_run(run.info.run_id)
    assert "training_accuracy_score" in got.data.metrics
    inputs = {
        i.dataset.name: ({t.key: t.value for t in i.tags}, i.dataset) for i in got.inputs.dataset_inputs
    }
    assert set(inputs) == {"dataset", "iris-eval"}, inputs
    assert inputs["dataset"][0]["mlflow.data.context"] == "train"
    tags, dataset = inputs["iris-eval"]
    assert tags == {"mlflow.data.context": "eval", "split": "holdout"}
    assert dataset.digest == evaluation.digest
    assert '"num_rows": 150' in dataset.profile
    assert '"name": "target"' in dataset.schema

    [searched] = client.search_runs([experiment_id])
    assert {i.dataset.name for i in searched.inputs.dataset_inputs} == {"dataset", "iris-eval"}
    # MLflow's datasets.* filters find the run by its data.
    both = "datasets.name = 'iris-eval' AND datasets.context = 'train'"
    found = client.search_runs([experiment_id], filter_string=both)
    assert [r.info.run_id for r in found] == [run.info.run_id]
    assert client.search_runs([experiment_id], filter_string=f"datasets.digest = '{evaluation.digest}x'") == []

    # Logging the same data again adds nothing.
    MlflowClient().log_inputs(run.info.run_id, datasets=got.inputs.dataset_inputs)
    assert len(client.get_run(run.info.run_id).inputs.dataset_inputs) == 2


def test_an_endpoint_quiver_lacks_answers_in_mlflows_error_shape(tracking_uri, auth_headers):
    r = requests.get(f"{tracking_uri}/api/2.0/mlflow/no-such/endpoint", headers=auth_headers, timeout=10)
    assert r.status_code == 404
    assert r.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    assert "/api/2.0/mlflow/no-such/endpoint" in r.json()["message"]
