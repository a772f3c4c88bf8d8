"""Searching runs the way training notebooks do: mlflow.search_runs to find the best run and
register it, MlflowClient.search_runs with filters, order_by and page tokens, deleted runs."""

import mlflow
from mlflow.entities import ViewType

from helpers import expect_error, hexid


def test_search_runs_finds_the_best_run_to_register(client, trained, new_name):
    """`mlflow.search_runs(..., order_by=["metrics.<m> DESC"], max_results=1)` then
    `mlflow.register_model("runs:/<id>/model", …)`: the notebook idiom for promoting a run."""
    c_values = ", ".join(f"'{c}'" for c in ("0.01", "1.0", "100.0"))
    best = mlflow.search_runs(
        experiment_ids=[trained.experiment_id],
        filter_string=f"metrics.train_accuracy > 0.5 AND params.C IN ({c_values})",
        order_by=["metrics.train_accuracy DESC"],
        max_results=1,
    )
    assert len(best) == 1
    # Ties go to the newest run, which is the last one trained.
    expected = max(reversed(trained.versions), key=lambda v: v.accuracy)
    assert best.iloc[0]["run_id"] == expected.run_id
    assert best.iloc[0]["metrics.train_accuracy"] == expected.accuracy
    name = new_name("best_run")
    mv = mlflow.register_model(f"runs:/{expected.run_id}/model", name)
    assert mv.run_id == expected.run_id


def test_search_runs_filters_orders_and_pages(client):
    experiment_id = client.create_experiment(f"quiver-run-search-{hexid()}")
    runs = []
    for i in range(7):
        run = client.create_run(experiment_id, run_name=f"r{i}", start_time=1_000 + i)
        if i != 3:  # r3 never logs the metric
            client.log_metric(run.info.run_id, "rmse", [0.5, 0.2, 0.9, None, 0.2, 0.7, 0.1][i])
        client.log_param(run.info.run_id, "model", "tree" if i % 2 else "linear")
        client.set_tag(run.info.run_id, "team", "risk" if i < 4 else "growth")
        runs.append(run.info.run_id)
    client.set_terminated(runs[0], status="FAILED")

    def names(**kwargs):
        return [r.info.run_name for r in client.search_runs([experiment_id], **kwargs)]

    # Newest first by default; lowest rmse first, the run without it last, ties newest first.
    assert names() == ["r6", "r5", "r4", "r3", "r2", "r1", "r0"]
    assert names(order_by=["metrics.rmse ASC"]) == ["r6", "r4", "r1", "r0", "r5", "r2", "r3"]
    assert names(filter_string="metrics.rmse < 0.6 and params.model = 'linear'") == ["r6", "r4", "r0"]
    assert names(filter_string="tags.team = 'growth' and attributes.run_name LIKE 'r%'") == ["r6", "r5", "r4"]
    assert names(filter_string="attributes.status = 'FAILED'") == ["r0"]
    # Beyond MLflow: OR and parentheses.
    assert names(filter_string="metrics.rmse >= 0.9 OR (params.model = 'tree' AND tags.team = 'risk')") == [
        "r3",
        "r2",
        "r1",
    ]

    # Pages of 3 by token: every run once, in order.
    seen, token = [], None
    for _ in range(5):
        page = client.search_runs([experiment_id], order_by=["metrics.rmse DESC"], max_results=3, page_token=token)
        assert len(page) <= 3
        seen += [r.info.run_name for r in page]
        token = page.token
        if not token:
            break
    assert seen == ["r2", "r5", "r0", "r4", "r1", "r6", "r3"]

    # The pandas form, as notebooks use it, with metrics and params as columns.
    frame = mlflow.search_runs(experiment_ids=[experiment_id], filter_string="metrics.rmse = 0.2")
    assert sorted(frame["tags.mlflow.runName"]) == ["r1", "r4"]
    assert list(frame["params.model"]) == ["linear", "tree"]

    # Deleted runs leave the default view, and come back when restored.
    client.delete_run(runs[6])
    assert "r6" not in names()
    assert names(run_view_type=ViewType.DELETED_ONLY) == ["r6"]
    assert len(names(run_view_type=ViewType.ALL)) == 7
    assert client.get_run(runs[6]).info.lifecycle_stage == "deleted"
    client.restore_run(runs[6])
    assert names()[0] == "r6"


def test_bad_run_searches_are_invalid_parameter_values(client, trained):
    e = expect_error(
        "INVALID_PARAMETER_VALUE", client.search_runs, [trained.experiment_id], filter_string="metrics.acc > 'high'"
    )
    assert "position 15" in e.message and "unquoted number" in e.message, e.message
    e = expect_error(
        "INVALID_PARAMETER_VALUE", client.search_runs, [trained.experiment_id], order_by=["metrics.acc sideways x"]
    )
    assert "ASC|DESC" in e.message, e.message
    expect_error("RESOURCE_DOES_NOT_EXIST", client.delete_run, "0" * 32)


def test_search_experiments_by_name_in_pages(client):
    prefix = f"quiver-exp-search-{hexid()}"
    ids = [client.create_experiment(f"{prefix}-{i}") for i in range(5)]
    found = mlflow.search_experiments(filter_string=f"name LIKE '{prefix}-%'", order_by=["name DESC"])
    assert [e.name for e in found] == [f"{prefix}-{i}" for i in reversed(range(5))]
    # Pages of 2 by token, newest first: each once.
    seen, token = [], None
    for _ in range(10):
        page = client.search_experiments(
            filter_string=f"name LIKE '{prefix}-%'", max_results=2, page_token=token
        )
        seen += [e.experiment_id for e in page]
        token = page.token
        if not token:
            break
    assert seen == list(reversed(ids))
    assert [e.name for e in mlflow.search_experiments(filter_string=f"name = '{prefix}-3'")] == [f"{prefix}-3"]
    e = expect_error("INVALID_PARAMETER_VALUE", client.search_experiments, filter_string="params.team = 'x'")
    assert "by name and tags" in e.message, e.message


def test_delete_restore_and_rename_an_experiment(client):
    name = f"quiver-exp-lifecycle-{hexid()}"
    experiment_id = client.create_experiment(name)
    run = client.create_run(experiment_id, run_name="inside")
    client.delete_experiment(experiment_id)
    assert client.get_experiment(experiment_id).lifecycle_stage == "deleted"
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    assert name not in [e.name for e in client.search_experiments(filter_string=f"name = '{name}'")]
    deleted = client.search_experiments(view_type=ViewType.DELETED_ONLY, filter_string=f"name = '{name}'")
    assert [e.experiment_id for e in deleted] == [experiment_id]
    # The name stays taken; runs cannot start in a deleted experiment.
    expect_error("RESOURCE_ALREADY_EXISTS", client.create_experiment, name)
    expect_error("INVALID_STATE", client.create_run, experiment_id)
    client.restore_experiment(experiment_id)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "active"
    client.rename_experiment(experiment_id, f"{name}-renamed")
    assert client.get_experiment_by_name(f"{name}-renamed").experiment_id == experiment_id
    expect_error("RESOURCE_ALREADY_EXISTS", client.rename_experiment, experiment_id, "Default")
