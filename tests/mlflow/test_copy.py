"""copy_model_version across catalogs: the way to promote e.g. staging -> prod."""

import mlflow
import numpy as np

from helpers import SCHEMA, user_tags


def test_copy_model_version_across_catalogs(client, trained, iris, register_copies, new_name, other_catalog):
    X, _ = iris
    src = register_copies(2)
    client.update_model_version(src, "2", description="candidate")
    client.set_model_version_tag(src, "2", "validation_status", "approved")
    dst = new_name("iris_model", cat=other_catalog)
    assert dst.startswith(f"{other_catalog}.{SCHEMA}.")

    # The destination does not exist yet: the client creates it, then a version from the source.
    copied = client.copy_model_version(src_model_uri=f"models:/{src}/2", dst_name=dst)
    assert copied.name == dst
    assert copied.version == "1"

    mv = client.get_model_version(dst, "1")
    assert mv.status == "READY"
    assert mv.source == f"models:/{src}/2"
    assert mv.run_id == trained.v(2).run_id
    # copy_model_version sends the source's model_id, which the MLflow server does not echo back,
    # so compare the downloaded artifacts' location below instead.
    assert mv.model_id in (None, trained.v(2).model_id)
    assert mv.description == "candidate"
    assert user_tags(mv.tags) == {"validation_status": "approved"}
    assert client.get_registered_model(dst).name == dst

    # Same artifacts as the source version.
    assert client.get_model_version_download_uri(dst, "1") == client.get_model_version_download_uri(
        src, "2"
    )
    got = np.asarray(mlflow.pyfunc.load_model(f"models:/{dst}/1").predict(X))
    np.testing.assert_array_equal(got, trained.v(2).predictions)

    # Copying into an existing model adds the next version there.
    again = client.copy_model_version(src_model_uri=f"models:/{src}/1", dst_name=dst)
    assert again.version == "2"
    assert client.get_model_version(dst, "2").source == f"models:/{src}/1"
    assert client.get_model_version(dst, "2").run_id == trained.v(1).run_id


def test_copy_by_alias(client, trained, register_copies, new_name, other_catalog):
    src = register_copies(2)
    client.set_registered_model_alias(src, "Champion", "2")
    dst = new_name("iris_model", cat=other_catalog)
    copied = client.copy_model_version(src_model_uri=f"models:/{src}@Champion", dst_name=dst)
    assert copied.version == "1"
    mv = client.get_model_version(dst, "1")
    # The client resolves the alias first and records the numbered source.
    assert mv.source == f"models:/{src}/2"
    assert mv.run_id == trained.v(2).run_id
    # Aliases are not copied.
    assert client.get_registered_model(dst).aliases == {}
