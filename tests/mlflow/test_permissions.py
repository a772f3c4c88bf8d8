"""Governance through the official client: a user sees and changes only what their grants allow,
and a refusal is MLflow's PERMISSION_DENIED. Quiver only (plain MLflow has no privileges)."""


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
