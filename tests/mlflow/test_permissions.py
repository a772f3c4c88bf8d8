"""Governance through the official client: a user sees and changes only what their grants allow,
and a refusal is MLflow's PERMISSION_DENIED. Quiver only (plain MLflow has no privileges)."""


import os

import pytest
import requests
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from helpers import SCHEMA, hexid

PASSWORD = "correct horse battery staple"


@pytest.fixture
def user_client(tracking_uri, auth_headers, catalog, client, new_name, monkeypatch):
    """A new user with USE CATALOG/USE SCHEMA on the test schema and EXECUTE on one of two models;
    returns (client as that user, readable model, hidden model)."""
    username = f"reader_{hexid()}"
    r = requests.post(
        f"{tracking_uri}/api/quiver/v1/users",
        json={"username": username, "password": PASSWORD},
        headers=auth_headers,
        timeout=30,
    )
    assert r.status_code == 200, r.text
    readable, hidden = new_name("granted"), new_name("hidden")
    client.create_registered_model(readable)
    client.create_registered_model(hidden)

    def grant(kind, full_name, privileges):
        r = requests.patch(
            f"{tracking_uri}/api/2.1/unity-catalog/permissions/{kind}/{full_name}",
            json={"changes": [{"principal": username, "add": privileges}]},
            headers=auth_headers,
            timeout=30,
        )
        assert r.status_code == 200, r.text

    grant("catalog", catalog, ["USE_CATALOG"])
    grant("schema", f"{catalog}.{SCHEMA}", ["USE_SCHEMA"])
    grant("registered_model", readable, ["EXECUTE"])
    # The client takes credentials from the environment at each request.
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", username)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", PASSWORD)
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri), readable, hidden


@pytest.mark.quiver
def test_a_user_sees_and_changes_only_what_grants_allow(user_client):
    mine, readable, hidden = user_client
    assert mine.get_registered_model(readable).name == readable
    with pytest.raises(MlflowException) as denied:
        mine.get_registered_model(hidden)
    assert denied.value.error_code == "PERMISSION_DENIED"
    names = {m.name for m in mine.search_registered_models(max_results=1000)}
    assert readable in names and hidden not in names
    # EXECUTE reads; tags need APPLY TAG (or ownership).
    with pytest.raises(MlflowException) as denied:
        mine.set_registered_model_tag(readable, "team", "risk")
    assert denied.value.error_code == "PERMISSION_DENIED"


def _switch(monkeypatch, *, token=None, user=None):
    """Makes the client (which reads credentials at each request) act as the admin token or as
    `user` (username, password)."""
    for key in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        monkeypatch.delenv(key, raising=False)
    if token:
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
    else:
        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", user[0])
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", user[1])


def _denied(call):
    with pytest.raises(MlflowException) as e:
        call()
    assert e.value.error_code == "PERMISSION_DENIED", e.value
    return str(e.value)


@pytest.mark.quiver
def test_an_experiment_is_closed_until_shared_yet_its_registered_model_loads(
    user_client, auth_headers, tracking_uri, iris, monkeypatch
):
    import mlflow
    from sklearn.linear_model import LogisticRegression

    mine, readable, _ = user_client
    user = (os.environ["MLFLOW_TRACKING_USERNAME"], os.environ["MLFLOW_TRACKING_PASSWORD"])
    admin_token = auth_headers["Authorization"].split(" ", 1)[1]
    X, y = iris
    model = LogisticRegression(max_iter=200).fit(X, y)

    _switch(monkeypatch, token=admin_token)
    exp_id = mlflow.create_experiment(f"closed-{hexid()}")
    with mlflow.start_run(experiment_id=exp_id) as run:
        mlflow.log_metric("acc", 0.9)
        mlflow.log_text("what we tried", "notes.txt")
        mlflow.sklearn.log_model(model, name="model", registered_model_name=readable)
    run_id = run.info.run_id

    # The user may read the registered model, not the experiment it was trained in.
    _switch(monkeypatch, user=user)
    assert "CAN_READ" in _denied(lambda: mine.get_experiment(exp_id))
    _denied(lambda: mine.get_run(run_id))
    _denied(lambda: mine.search_runs([exp_id]))
    assert exp_id not in {e.experiment_id for e in mine.search_experiments(max_results=1000)}
    # ...yet loading the model works: a version's files are readable through the registry.
    loaded = mlflow.pyfunc.load_model(f"models:/{readable}/1")
    assert (loaded.predict(X) == model.predict(X)).all()
    # The run's other files are not.
    notes = f"{tracking_uri}/api/2.0/mlflow-artifacts/artifacts/{exp_id}/{run_id}/artifacts/notes.txt"
    r = requests.get(notes, auth=user, timeout=30)
    assert r.status_code == 403 and r.json()["error_code"] == "PERMISSION_DENIED", r.text
    acl_url = f"{tracking_uri}/api/2.0/permissions/experiments/{exp_id}"
    assert requests.get(acl_url, auth=user, timeout=30).status_code == 403

    # Shared with CAN_READ (Databricks' permissions API): readable, still not writable.
    grant = {"access_control_list": [{"user_name": user[0], "permission_level": "CAN_READ"}]}
    r = requests.patch(acl_url, json=grant, headers=auth_headers, timeout=30)
    assert r.status_code == 200, r.text
    acl = r.json()
    assert acl["object_id"] == f"/experiments/{exp_id}"
    levels = {e.get("user_name"): e["all_permissions"][0]["permission_level"] for e in acl["access_control_list"]}
    assert levels == {"admin": "CAN_MANAGE", user[0]: "CAN_READ"}
    assert mine.get_run(run_id).data.metrics["acc"] == 0.9
    assert [r.info.run_id for r in mine.search_runs([exp_id])] == [run_id]
    assert mlflow.artifacts.load_text(f"runs:/{run_id}/notes.txt") == "what we tried"
    assert "CAN_EDIT" in _denied(lambda: mine.log_metric(run_id, "acc", 0.1))
    _denied(lambda: mine.create_run(exp_id))

    # CAN_EDIT: runs are started and logged.
    grant["access_control_list"][0]["permission_level"] = "CAN_EDIT"
    assert requests.patch(acl_url, json=grant, headers=auth_headers, timeout=30).status_code == 200
    mine.log_metric(run_id, "acc", 0.95)
    assert mine.get_run(run_id).data.metrics["acc"] == 0.95
    mine.create_run(exp_id)
    _denied(lambda: mine.rename_experiment(exp_id, "taken over"))

    # A level that does not exist is refused, and nothing changes.
    bad = {"access_control_list": [{"user_name": user[0], "permission_level": "CAN_RUN"}]}
    r = requests.patch(acl_url, json=bad, headers=auth_headers, timeout=30)
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE", r.text
    # Replaced by an empty list: closed again.
    r = requests.put(acl_url, json={"access_control_list": []}, headers=auth_headers, timeout=30)
    assert [e.get("user_name") for e in r.json()["access_control_list"]] == ["admin"]
    _denied(lambda: mine.get_run(run_id))


@pytest.mark.quiver
def test_a_user_owns_the_experiments_they_create(user_client, tracking_uri, auth_headers, monkeypatch):
    import mlflow

    mine, _, _ = user_client
    user = (os.environ["MLFLOW_TRACKING_USERNAME"], os.environ["MLFLOW_TRACKING_PASSWORD"])
    name = f"mine-{hexid()}"
    exp = mlflow.set_experiment(name)
    with mlflow.start_run() as run:
        mlflow.log_metric("loss", 0.3)
        mlflow.log_text("mine", "notes.txt")
    assert mine.get_experiment_by_name(name).experiment_id == exp.experiment_id
    assert mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/notes.txt") == "mine"
    assert name in {e.name for e in mine.search_experiments(max_results=1000)}
    r = requests.get(f"{tracking_uri}/api/2.0/permissions/experiments/{exp.experiment_id}", auth=user, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["access_control_list"] == [
        {"user_name": user[0], "all_permissions": [{"permission_level": "CAN_MANAGE", "inherited": False}], "is_owner": True}
    ]
    # The Default experiment is an administrator's until they share it.
    message = _denied(lambda: mine.create_run("0"))
    assert "CAN_EDIT on experiment 0" in message and "mlflow.set_experiment" in message
    # Later tests start runs in the Default experiment again.
    _switch(monkeypatch, token=auth_headers["Authorization"].split(" ", 1)[1])
    mlflow.set_experiment(experiment_id="0")
