"""Aliases (Champion moves from 1 to 2), loading by alias and by version, reserved aliases."""

import mlflow
import numpy as np
import pytest
import requests

from helpers import expect_error


def predict(uri, X):
    return np.asarray(mlflow.pyfunc.load_model(uri).predict(X))


def test_trained_versions_predict_differently(trained, iris):
    # Guards the load tests below: equal predictions must identify one version.
    assert not np.array_equal(trained.v(1).predictions, trained.v(2).predictions)
    assert not np.array_equal(trained.v(2).predictions, trained.v(3).predictions)


@pytest.mark.parametrize("number", ["1", "2", "3"])
def test_load_by_version(trained, iris, number):
    X, _ = iris
    np.testing.assert_array_equal(
        predict(f"models:/{trained.name}/{number}", X), trained.v(number).predictions
    )


def test_load_latest(trained, iris):
    X, _ = iris
    np.testing.assert_array_equal(predict(f"models:/{trained.name}/latest", X), trained.v(3).predictions)


def test_champion_alias_lifecycle(client, trained, iris):
    X, _ = iris
    name = trained.name
    client.set_registered_model_alias(name, "Champion", "1")
    mv = client.get_model_version_by_alias(name, "Champion")
    assert mv.version == "1" and mv.name == name
    assert mv.aliases == ["Champion"]
    assert client.get_registered_model(name).aliases == {"Champion": "1"}
    np.testing.assert_array_equal(predict(f"models:/{name}@Champion", X), trained.v(1).predictions)

    # Reassigning moves it: one alias names one version of a model.
    client.set_registered_model_alias(name, "Champion", "2")
    assert client.get_model_version_by_alias(name, "Champion").version == "2"
    assert client.get_registered_model(name).aliases == {"Champion": "2"}
    assert client.get_model_version(name, "1").aliases == []
    assert client.get_model_version(name, "2").aliases == ["Champion"]
    np.testing.assert_array_equal(predict(f"models:/{name}@Champion", X), trained.v(2).predictions)

    # A version may carry several aliases; another model's aliases are separate.
    client.set_registered_model_alias(name, "Challenger", "3")
    client.set_registered_model_alias(name, "Shadow", "2")
    assert client.get_registered_model(name).aliases == {
        "Champion": "2",
        "Shadow": "2",
        "Challenger": "3",
    }
    assert sorted(client.get_model_version(name, "2").aliases) == ["Champion", "Shadow"]
    np.testing.assert_array_equal(predict(f"models:/{name}@Challenger", X), trained.v(3).predictions)

    client.delete_registered_model_alias(name, "Champion")
    client.delete_registered_model_alias(name, "Shadow")
    client.delete_registered_model_alias(name, "Challenger")
    assert client.get_registered_model(name).aliases == {}
    assert client.get_model_version(name, "2").aliases == []
    # MLflow answers an unknown alias with INVALID_PARAMETER_VALUE (HTTP 400), not
    # RESOURCE_DOES_NOT_EXIST (sqlalchemy_store.get_model_version_by_alias); the client surfaces it.
    expect_error("INVALID_PARAMETER_VALUE", client.get_model_version_by_alias, name, "Champion")


def test_latest_is_a_virtual_alias(client, trained):
    # Reading alias "latest" answers the newest version even though it cannot be set.
    assert client.get_model_version_by_alias(trained.name, "latest").version == "3"


# Reserved names pass the client's own pattern check, so these are refused by the server.
@pytest.mark.parametrize("alias", ["latest", "LATEST", "v1", "V12"])
def test_reserved_alias_is_rejected(client, register_copies, alias):
    name = register_copies(1)
    expect_error("INVALID_PARAMETER_VALUE", client.set_registered_model_alias, name, alias, "1")
    assert client.get_registered_model(name).aliases == {}


@pytest.mark.parametrize("alias", ["bad alias", "a/b", ""])
def test_malformed_alias_is_rejected(tracking_uri, auth_headers, client, register_copies, alias):
    name = register_copies(1)
    # MlflowClient checks the alias pattern itself and never sends these...
    expect_error("INVALID_PARAMETER_VALUE", client.set_registered_model_alias, name, alias, "1")
    # ...so ask the server directly: it must refuse them too (other clients, the UI).
    r = requests.post(
        f"{tracking_uri}/api/2.0/mlflow/registered-models/alias",
        json={"name": name, "alias": alias, "version": "1"},
        headers=auth_headers,
        timeout=30,
    )
    assert r.status_code == 400
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert client.get_registered_model(name).aliases == {}


def test_reserved_alias_on_the_wire(tracking_uri, auth_headers, register_copies):
    """The same refusal seen without the client: HTTP 400 with the JSON error body."""
    name = register_copies(1)
    r = requests.post(
        f"{tracking_uri}/api/2.0/mlflow/registered-models/alias",
        json={"name": name, "alias": "latest", "version": "1"},
        headers=auth_headers,
        timeout=30,
    )
    assert r.status_code == 400
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_alias_to_missing_version(client, register_copies):
    name = register_copies(1)
    expect_error("RESOURCE_DOES_NOT_EXIST", client.set_registered_model_alias, name, "Champion", "9")


def test_deleting_a_version_drops_its_aliases(client, register_copies):
    name = register_copies(2)
    client.set_registered_model_alias(name, "Champion", "1")
    client.set_registered_model_alias(name, "Challenger", "2")
    client.delete_model_version(name, "1")
    assert client.get_registered_model(name).aliases == {"Challenger": "2"}
