"""MLflow 3's model-centric workflow: metrics logged against logged models (`model_id=`), then
`mlflow.search_logged_models` to pick the best one and register it from `models:/<model_id>`."""

import mlflow
from mlflow import MlflowClient

from helpers import expect_error, hexid


def test_the_best_logged_model_is_found_by_its_metric_and_registered(client, iris, new_name):
    from sklearn.linear_model import LogisticRegression

    X, y = iris
    experiment_id = client.create_experiment(f"quiver-logged-models-{hexid()}")
    evaluation = mlflow.data.from_pandas(X.assign(target=y), name="iris-eval", targets="target")
    scores = {}
    for c in ("0.01", "1.0", "100.0"):
        with mlflow.start_run(experiment_id=experiment_id):
            model = LogisticRegression(max_iter=300, C=float(c)).fit(X, y)
            info = mlflow.sklearn.log_model(model, name=f"lr-{c}", params={"C": c})
            mlflow.log_metric("accuracy", model.score(X, y), model_id=info.model_id, dataset=evaluation)
            scores[info.model_id] = model.score(X, y)

    ranked = mlflow.search_logged_models(
        experiment_ids=[experiment_id],
        filter_string="metrics.accuracy > 0.9",
        order_by=[{"field_name": "metrics.accuracy", "ascending": False}],
        output_format="list",
    )
    expected = sorted((m for m in scores if scores[m] > 0.9), key=lambda m: -scores[m])
    assert [m.model_id for m in ranked] == expected
    best = ranked[0]
    [metric] = best.metrics
    assert (metric.key, metric.value, metric.dataset_name) == ("accuracy", scores[best.model_id], "iris-eval")
    assert metric.dataset_digest == evaluation.digest

    # Scoped to the evaluation data (by name and digest), and to data nothing was measured on.
    on_eval = mlflow.search_logged_models(
        experiment_ids=[experiment_id],
        filter_string="metrics.accuracy > 0.9",
        datasets=[{"dataset_name": "iris-eval", "dataset_digest": evaluation.digest}],
        output_format="list",
    )
    assert {m.model_id for m in on_eval} == set(expected)
    assert mlflow.search_logged_models(
        experiment_ids=[experiment_id], datasets=[{"dataset_name": "other"}], output_format="list"
    ) == []

    # Params, tags and attributes filter too; pages come by token.
    [by_param] = mlflow.search_logged_models(
        experiment_ids=[experiment_id], filter_string="params.C = '0.01'", output_format="list"
    )
    assert by_param.name == "lr-0.01"
    page = client.search_logged_models([experiment_id], order_by=[{"field_name": "name"}], max_results=2)
    assert [m.name for m in page] == ["lr-0.01", "lr-1.0"] and page.token
    rest = client.search_logged_models(
        [experiment_id], order_by=[{"field_name": "name"}], max_results=2, page_token=page.token
    )
    assert [m.name for m in rest] == ["lr-100.0"] and not rest.token

    client.set_logged_model_tags(best.model_id, {"stage": "candidate"})
    [tagged] = mlflow.search_logged_models(
        experiment_ids=[experiment_id], filter_string="tags.stage = 'candidate'", output_format="list"
    )
    assert tagged.model_id == best.model_id
    MlflowClient().delete_logged_model_tag(best.model_id, "stage")
    assert "stage" not in client.get_logged_model(best.model_id).tags

    name = new_name("best_logged")
    version = mlflow.register_model(f"models:/{best.model_id}", name)
    # (The client's ModelVersion leaves model_id out when read over REST; the source names it.)
    assert version.source == f"models:/{best.model_id}"
    assert version.run_id == best.source_run_id

    e = expect_error(
        "INVALID_PARAMETER_VALUE",
        mlflow.search_logged_models,
        experiment_ids=[experiment_id],
        filter_string="metrics.accuracy > 'high'",
    )
    assert "unquoted number" in e.message, e.message


def test_log_model_in_a_run_with_many_params_keeps_them_all(client, iris):
    """log_model copies the run's params onto the logged model: the first 100 come with it, the
    rest through logged-models/<id>/params (a wide sklearn Pipeline under autolog has hundreds)."""
    from sklearn.linear_model import LogisticRegression

    X, y = iris
    experiment_id = client.create_experiment(f"quiver-wide-{hexid()}")
    with mlflow.start_run(experiment_id=experiment_id):
        mlflow.log_params({f"p{i:03d}": str(i) for i in range(130)})
        info = mlflow.sklearn.log_model(LogisticRegression(max_iter=200).fit(X, y), name="wide")
    params = client.get_logged_model(info.model_id).params
    assert len(params) == 130 and params["p129"] == "129"
