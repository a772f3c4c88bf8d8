"""Shared configuration for the MLflow wire-compatibility suite.

Drives a tracking server through the official `mlflow` client. Environment:
  MLFLOW_TRACKING_URI         the server, e.g. http://127.0.0.1:3000 (required)
  MLFLOW_TRACKING_TOKEN       bearer token the client sends (Quiver needs one; plain MLflow ignores it)
  QUIVER_TEST_CATALOG         catalog part of every model name (default: prod_<random hex>)
  QUIVER_TEST_OTHER_CATALOG   target catalog of the cross-catalog copy (default: <catalog>_copy)
  QUIVER_TEST_KEEP=1          keep the models the suite created (default: delete them at the end)
Every model name also carries a random suffix, so reruns against one server never collide.
"""

import os
from dataclasses import dataclass, field

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from helpers import C_VALUES, SCHEMA, hexid


def pytest_configure(config):
    uri = os.environ.get("MLFLOW_TRACKING_URI", "")
    if not uri.startswith(("http://", "https://")):
        raise pytest.UsageError(
            "set MLFLOW_TRACKING_URI to the server under test, e.g. http://127.0.0.1:5000"
        )


@pytest.fixture(scope="session")
def tracking_uri():
    uri = os.environ["MLFLOW_TRACKING_URI"].rstrip("/")
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


@pytest.fixture(scope="session")
def auth_headers():
    """Headers for requests made with `requests` directly, matching what the client sends."""
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.fixture(scope="session")
def client(tracking_uri):
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


@pytest.fixture(scope="session")
def catalog():
    return os.environ.get("QUIVER_TEST_CATALOG") or f"prod_{hexid(4)}"


@pytest.fixture(scope="session")
def other_catalog(catalog):
    return os.environ.get("QUIVER_TEST_OTHER_CATALOG") or f"{catalog}_copy"


@pytest.fixture(scope="session")
def created(client):
    """Names of registered models this session created; deleted at the end unless QUIVER_TEST_KEEP."""
    names = []
    yield names
    if os.environ.get("QUIVER_TEST_KEEP"):
        return
    for name in names:
        try:
            client.delete_registered_model(name)
        except MlflowException:
            pass  # already deleted (or renamed) by the test itself


@pytest.fixture
def new_name(catalog, created):
    """new_name("iris_model") -> '<catalog>.ml_team.iris_model_<hex>', registered for cleanup."""

    def make(leaf="iris_model", cat=None):
        name = f"{cat or catalog}.{SCHEMA}.{leaf}_{hexid()}"
        created.append(name)
        return name

    return make


@pytest.fixture(scope="session")
def iris():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y


@dataclass
class LoggedVersion:
    version: str
    run_id: str
    model_id: str
    model_uri: str  # models:/<model_id>, as returned by log_model
    predictions: np.ndarray  # of the in-memory sklearn model on every iris row
    accuracy: float  # logged as the run's train_accuracy


@dataclass
class TrainedModel:
    name: str
    experiment_id: str
    versions: list = field(default_factory=list)

    def v(self, number):
        return self.versions[int(number) - 1]


@pytest.fixture(scope="session")
def trained(client, catalog, created, iris, tracking_uri):
    """The issue's workflow: `<catalog>.ml_team.iris_model_<hex>` created with tags and a
    description, then three training runs, each logging a LogisticRegression with
    `mlflow.sklearn.log_model(..., registered_model_name=name)` -> versions 1, 2, 3."""
    from sklearn.linear_model import LogisticRegression

    X, y = iris
    name = f"{catalog}.{SCHEMA}.iris_model_{hexid()}"
    created.append(name)
    client.create_registered_model(
        name, tags={"team": "ml_team", "task": "classification"}, description="Iris classifier"
    )
    experiment = mlflow.set_experiment(f"quiver-mlflow-suite-{catalog}")
    result = TrainedModel(name=name, experiment_id=experiment.experiment_id)
    for number, c in enumerate(C_VALUES, start=1):
        model = LogisticRegression(max_iter=200, C=c).fit(X, y)
        with mlflow.start_run() as run:
            mlflow.log_param("C", c)
            mlflow.log_metric("train_accuracy", model.score(X, y))
            info = mlflow.sklearn.log_model(
                model, name="model", input_example=X[:3], registered_model_name=name
            )
        assert str(info.registered_model_version) == str(number)
        result.versions.append(
            LoggedVersion(
                version=str(number),
                run_id=run.info.run_id,
                model_id=info.model_id,
                model_uri=info.model_uri,
                predictions=model.predict(X),
                accuracy=model.score(X, y),
            )
        )
    return result


@pytest.fixture
def register_copies(client, new_name, trained):
    """A fresh registered model whose versions reuse the trained logged models (no retraining):
    register_copies(2) -> name with versions "1", "2" = trained versions 1, 2."""

    def make(count, leaf="iris_model", **create_kwargs):
        name = new_name(leaf)
        client.create_registered_model(name, **create_kwargs)
        for i in range(count):
            mv = mlflow.register_model(trained.versions[i].model_uri, name)
            assert mv.version == str(i + 1)
        return name

    return make
