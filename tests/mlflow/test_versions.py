"""Model versions: what log_model registered, version tags and descriptions, stages, deletion."""

import mlflow
import pytest
from mlflow.entities import Metric

from helpers import assert_recent, expect_error, user_tags


def test_log_model_registered_three_versions(client, trained):
    rm = client.get_registered_model(trained.name)
    assert rm.description == "Iris classifier"
    assert rm.tags == {"team": "ml_team", "task": "classification"}
    # latest_versions holds the newest version per stage; all three are in stage "None".
    assert [mv.version for mv in rm.latest_versions] == ["3"]

    previous = 0
    for logged in trained.versions:
        mv = client.get_model_version(trained.name, logged.version)
        assert mv.name == trained.name
        assert mv.version == logged.version
        assert mv.status == "READY"
        assert mv.current_stage == "None"
        assert mv.run_id == logged.run_id
        # The client sends model_id in model-versions/create, but the MLflow 3.17 server does not
        # echo it in ModelVersion (model_id comes back None); the source carries it instead.
        assert mv.model_id in (None, logged.model_id)
        # MLflow 3 registers the logged model, not a run artifact path.
        assert mv.source == f"models:/{logged.model_id}" == logged.model_uri
        assert_recent(mv.creation_timestamp)
        assert mv.creation_timestamp >= previous
        previous = mv.creation_timestamp


def test_logged_runs_and_models_are_readable(client, trained):
    """The tracking side of log_model: run, params, logged model, its artifacts."""
    for logged, c in zip(trained.versions, (0.01, 1.0, 100.0)):
        run = client.get_run(logged.run_id)
        assert run.info.experiment_id == trained.experiment_id
        assert run.info.status == "FINISHED"
        assert run.data.params == {"C": str(c)}
        assert run.data.metrics == {"train_accuracy": pytest.approx(logged.accuracy)}
        lm = client.get_logged_model(logged.model_id)
        assert lm.name == "model"
        assert lm.source_run_id == logged.run_id
        assert lm.status == "READY"
        files = {f.path for f in client.list_logged_model_artifacts(logged.model_id)}
        assert {"MLmodel", "requirements.txt", "input_example.json"} <= files, files
        # The pickled estimator: model.skops with sklearn's default serialization in MLflow 3.17,
        # model.pkl with older ones.
        assert files & {"model.skops", "model.pkl"}, files


def test_metrics_keep_their_history_and_latest_value(client, trained):
    """A run reports the latest value of each metric (greatest step, then timestamp) however
    the points arrive; the history keeps them all."""
    run = client.create_run(trained.experiment_id)
    run_id = run.info.run_id
    for step, value, ts in [(0, 0.9, 1000), (2, 0.4, 3000), (1, 0.6, 4000)]:
        client.log_metric(run_id, "loss", value, timestamp=ts, step=step)
    client.log_batch(run_id, metrics=[Metric("acc", 0.8, 5000, 0), Metric("acc", 0.7, 6000, 0)])
    assert client.get_run(run_id).data.metrics == {"loss": 0.4, "acc": 0.7}
    history = client.get_metric_history(run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(0, 0.9), (1, 0.6), (2, 0.4)]
    client.set_terminated(run_id)


def test_download_uri_points_at_the_artifacts(client, trained):
    uri = client.get_model_version_download_uri(trained.name, "1")
    lm = client.get_logged_model(trained.v(1).model_id)
    assert uri == lm.artifact_location


def test_version_tags_set_read_delete(client, register_copies):
    name = register_copies(2)
    client.set_model_version_tag(name, "1", "validation_status", "approved")
    client.set_model_version_tag(name, "1", "owner", "ml_team")
    client.set_model_version_tag(name, "1", "validation_status", "rejected")  # overwrite
    assert user_tags(client.get_model_version(name, "1").tags) == {
        "validation_status": "rejected",
        "owner": "ml_team",
    }
    assert user_tags(client.get_model_version(name, "2").tags) == {}

    client.delete_model_version_tag(name, "1", "validation_status")
    assert user_tags(client.get_model_version(name, "1").tags) == {"owner": "ml_team"}


def test_register_with_version_tags(client, trained, new_name):
    name = new_name()
    mv = mlflow.register_model(trained.v(1).model_uri, name, tags={"stage_hint": "canary"})
    assert user_tags(mv.tags) == {"stage_hint": "canary"}
    assert user_tags(client.get_model_version(name, "1").tags) == {"stage_hint": "canary"}


def test_version_description(client, register_copies):
    name = register_copies(1)
    assert client.get_model_version(name, "1").description in ("", None)
    mv = client.update_model_version(name, "1", description="Trained with C=0.01")
    assert mv.description == "Trained with C=0.01"
    assert client.get_model_version(name, "1").description == "Trained with C=0.01"


def test_register_from_runs_uri(client, trained, new_name):
    """`runs:/<run_id>/model` still works in MLflow 3: the client finds the run's logged model
    named "model" and registers `models:/<model_id>`."""
    name = new_name()
    logged = trained.v(2)
    mv = mlflow.register_model(f"runs:/{logged.run_id}/model", name)
    assert mv.version == "1"
    got = client.get_model_version(name, "1")
    assert got.model_id in (None, logged.model_id)  # not echoed by MLflow 3.17, see above
    assert got.run_id == logged.run_id
    assert got.source == f"models:/{logged.model_id}"


def test_delete_version_and_numbers_are_not_reused(client, trained, register_copies):
    name = register_copies(2)
    client.delete_model_version(name, "1")
    expect_error("RESOURCE_DOES_NOT_EXIST", client.get_model_version, name, "1")
    assert [mv.version for mv in client.search_model_versions(f"name = '{name}'")] == ["2"]
    assert client.get_model_version(name, "2").status == "READY"

    mv = mlflow.register_model(trained.v(3).model_uri, name)
    assert mv.version == "3"

    client.delete_model_version(name, "3")
    mv = mlflow.register_model(trained.v(3).model_uri, name)
    assert mv.version == "4"


def test_legacy_stages(client, register_copies):
    name = register_copies(3)
    mv = client.transition_model_version_stage(name, "1", "Staging")
    assert mv.current_stage == "Staging"
    assert [v.version for v in client.get_latest_versions(name, stages=["Staging"])] == ["1"]

    client.transition_model_version_stage(name, "2", "Staging")
    # Newest version per stage: 2 wins over 1 in Staging.
    assert [v.version for v in client.get_latest_versions(name, stages=["Staging"])] == ["2"]
    assert client.get_model_version(name, "1").current_stage == "Staging"

    mv = client.transition_model_version_stage(
        name, "3", "Production", archive_existing_versions=False
    )
    assert mv.current_stage == "Production"
    latest = {v.current_stage: v.version for v in client.get_latest_versions(name)}
    assert latest == {"Staging": "2", "Production": "3"}

    # archive_existing_versions moves every other version in the target stage to Archived.
    client.transition_model_version_stage(name, "1", "Production", archive_existing_versions=True)
    assert client.get_model_version(name, "3").current_stage == "Archived"
    assert client.get_model_version(name, "1").current_stage == "Production"
    assert client.get_model_version(name, "2").current_stage == "Staging"
    assert [v.version for v in client.get_latest_versions(name, stages=["Production"])] == ["1"]
    assert client.get_latest_versions(name, stages=["None"]) == []

    # Stage names are matched case-insensitively by the server and returned canonical.
    mv = client.transition_model_version_stage(name, "2", "none")
    assert mv.current_stage == "None"


def test_bad_stage_is_rejected(client, register_copies):
    name = register_copies(1)
    expect_error(
        "INVALID_PARAMETER_VALUE", client.transition_model_version_stage, name, "1", "Canary"
    )
    assert client.get_model_version(name, "1").current_stage == "None"
