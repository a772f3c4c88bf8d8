"""Registered models: create, read, describe, tag, rename, delete, and the errors the client maps."""

import mlflow

from helpers import assert_recent, expect_error


def test_create_and_get_three_part_name(client, new_name):
    name = new_name("iris_model")
    assert name.count(".") == 2  # <catalog>.ml_team.<model>
    created = client.create_registered_model(
        name, tags={"team": "ml_team", "task": "classification"}, description="Iris classifier"
    )
    assert created.name == name
    assert created.description == "Iris classifier"
    assert created.tags == {"team": "ml_team", "task": "classification"}
    assert_recent(created.creation_timestamp)

    got = client.get_registered_model(name)
    assert got.name == name
    assert got.description == "Iris classifier"
    assert got.tags == {"team": "ml_team", "task": "classification"}
    assert got.creation_timestamp == created.creation_timestamp
    assert got.last_updated_timestamp >= got.creation_timestamp
    assert got.latest_versions == []
    assert got.aliases == {}


def test_update_description(client, new_name):
    name = new_name()
    before = client.create_registered_model(name, description="first")
    updated = client.update_registered_model(name, description="Iris classifier, **v2** notes")
    assert updated.name == name
    assert updated.description == "Iris classifier, **v2** notes"
    got = client.get_registered_model(name)
    assert got.description == "Iris classifier, **v2** notes"
    assert got.last_updated_timestamp >= before.last_updated_timestamp


def test_model_tags_set_overwrite_delete(client, new_name):
    name = new_name()
    client.create_registered_model(name, tags={"team": "ml_team"})
    client.set_registered_model_tag(name, "task", "classification")
    client.set_registered_model_tag(name, "team", "risk")  # overwrite
    assert client.get_registered_model(name).tags == {"team": "risk", "task": "classification"}

    client.delete_registered_model_tag(name, "task")
    assert client.get_registered_model(name).tags == {"team": "risk"}


def test_rename_moves_versions_and_aliases(client, register_copies, created):
    old = register_copies(1, description="to be renamed", tags={"team": "ml_team"})
    client.set_registered_model_alias(old, "Champion", "1")
    new = old.replace("iris_model_", "iris_renamed_")
    created.append(new)  # the session cleanup deletes it under its new name

    # The server answers {"registered_model": {...}} but MlflowClient.rename_registered_model
    # returns None (MLflow 3.17 drops the result), so read the new name back instead.
    client.rename_registered_model(old, new)

    got = client.get_registered_model(new)
    assert got.name == new
    assert got.description == "to be renamed"
    assert got.tags == {"team": "ml_team"}
    assert got.aliases == {"Champion": "1"}
    mv = client.get_model_version(new, "1")
    assert mv.name == new and mv.version == "1"
    assert client.get_model_version_by_alias(new, "Champion").version == "1"

    expect_error("RESOURCE_DOES_NOT_EXIST", client.get_registered_model, old)


def test_rename_onto_existing_name_is_rejected(client, new_name):
    a, b = new_name(), new_name()
    client.create_registered_model(a)
    client.create_registered_model(b)
    expect_error("RESOURCE_ALREADY_EXISTS", client.rename_registered_model, a, b)
    assert client.get_registered_model(a).name == a


def test_delete_model_removes_it_and_its_versions(client, register_copies):
    name = register_copies(2)
    client.delete_registered_model(name)
    expect_error("RESOURCE_DOES_NOT_EXIST", client.get_registered_model, name)
    expect_error("RESOURCE_DOES_NOT_EXIST", client.get_model_version, name, "1")
    assert client.search_registered_models(filter_string=f"name = '{name}'") == []
    assert client.search_model_versions(f"name = '{name}'") == []


def test_get_missing_model(client, catalog):
    err = expect_error(
        "RESOURCE_DOES_NOT_EXIST", client.get_registered_model, f"{catalog}.ml_team.no_such_model"
    )
    assert "no_such_model" in str(err)


def test_get_missing_version(client, register_copies):
    name = register_copies(1)
    expect_error("RESOURCE_DOES_NOT_EXIST", client.get_model_version, name, "7")


def test_create_duplicate_model(client, new_name):
    name = new_name()
    client.create_registered_model(name, description="original")
    expect_error("RESOURCE_ALREADY_EXISTS", client.create_registered_model, name, description="dup")
    assert client.get_registered_model(name).description == "original"


def test_register_model_into_existing_model_adds_a_version(client, trained, new_name):
    """mlflow.register_model() tries create-model first and goes on when it answers
    RESOURCE_ALREADY_EXISTS (register_model and log_model(registered_model_name=...) rely on it)."""
    name = new_name()
    client.create_registered_model(name)
    mv = mlflow.register_model(trained.v(1).model_uri, name)
    assert mv.version == "1"
    mv = mlflow.register_model(trained.v(2).model_uri, name)
    assert mv.version == "2"
    assert mv.status == "READY"
