"""Authentication: Quiver requires a token; plain MLflow has no auth, so these are `quiver` only."""

import pytest
import requests


@pytest.mark.quiver
def test_request_without_token_is_401(tracking_uri, catalog):
    r = requests.get(
        f"{tracking_uri}/api/2.0/mlflow/registered-models/get",
        params={"name": f"{catalog}.ml_team.iris_model"},
        timeout=30,
    )
    assert r.status_code == 401


@pytest.mark.quiver
def test_request_with_wrong_token_is_401(tracking_uri, catalog):
    r = requests.get(
        f"{tracking_uri}/api/2.0/mlflow/registered-models/get",
        params={"name": f"{catalog}.ml_team.iris_model"},
        headers={"Authorization": "Bearer qvp_not_a_real_token"},
        timeout=30,
    )
    assert r.status_code == 401


def test_configured_token_is_accepted(tracking_uri, auth_headers, catalog):
    """With MLFLOW_TRACKING_TOKEN (or none, against MLflow) the same request gets past auth."""
    r = requests.get(
        f"{tracking_uri}/api/2.0/mlflow/registered-models/get",
        params={"name": f"{catalog}.ml_team.no_such_model"},
        headers=auth_headers,
        timeout=30,
    )
    assert r.status_code == 404
    assert r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
