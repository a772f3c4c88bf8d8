"""What was approved is what runs, with the official MLflow client and the real OpenSSF
`model-signing` CLI (its own venv, QUIVER_MODEL_SIGNING): a model saved by MLflow is signed with
a generated EC key, logged and registered; Quiver records its files, reports the root digest the
signer signed (version tag `quiver.digest`), checks the signature against the keys trusted for the
model, refuses every change to the files, and lets a protected alias require a signature."""

import base64
import json
import os
import subprocess

import mlflow
import pytest
import requests

from helpers import hexid

pytestmark = pytest.mark.quiver

SIGNER = os.environ.get("QUIVER_MODEL_SIGNING", "")


def keypair(folder, name):
    key, pub = folder / f"{name}.pem", folder / f"{name}.pub.pem"
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(key)], check=True)
    subprocess.run(["openssl", "ec", "-in", str(key), "-pubout", "-out", str(pub)], check=True, capture_output=True)
    return key, pub.read_text()


def sign(model_dir, key):
    """`model_signing sign key`, with the signature inside the model's folder (logged with it)."""
    out = subprocess.run(
        [SIGNER, "sign", "key", str(model_dir), "--private_key", str(key), "--signature", str(model_dir / "model.sig")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr + out.stdout
    bundle = json.loads((model_dir / "model.sig").read_text())
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    return statement["subject"][0]["digest"]["sha256"]


def save_model(folder, iris, c=1.0):
    from sklearn.linear_model import LogisticRegression

    X, y = iris
    model_dir = folder / f"model_{hexid()}"
    mlflow.sklearn.save_model(LogisticRegression(max_iter=200, C=c).fit(X, y), str(model_dir))
    return model_dir


def log_and_register(client, name, model_dir):
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(model_dir), "model")
    mv = mlflow.register_model(f"runs:/{run.info.run_id}/model", name)
    return run.info.run_id, client.get_model_version(name, mv.version)


@pytest.fixture
def api(tracking_uri, auth_headers):
    def call(method, path, **kwargs):
        r = requests.request(method, f"{tracking_uri}{path}", headers=auth_headers, timeout=30, **kwargs)
        return r.status_code, (r.json() if r.content else None)

    return call


def test_a_signed_model_is_verified_and_its_files_never_change(client, new_name, iris, tmp_path, api, tracking_uri, auth_headers):
    assert SIGNER, "QUIVER_MODEL_SIGNING must name the model-signing CLI (scripts/mlflow-tests.sh sets it)"
    mlflow.set_experiment(f"quiver-integrity-{hexid()}")
    name = new_name("signed")
    key, pub = keypair(tmp_path, "release")
    other_key, other_pub = keypair(tmp_path, "other")

    # Signed by the release key: the digest Quiver records is the one the signer signed.
    model_dir = save_model(tmp_path, iris)
    signed_digest = sign(model_dir, key)
    run_id, v1 = log_and_register(client, name, model_dir)
    assert v1.tags["quiver.digest"] == signed_digest
    status, files = api("GET", f"/api/quiver/v1/model-versions/{name}/{v1.version}/files")
    assert status == 200, files
    assert files["digest"] == signed_digest
    assert {f["path"] for f in files["manifest"]} >= {"MLmodel", "model.sig"}
    assert files["signature"]["state"] == "untrusted"

    # Trusting the release key on the model verifies it; a second key signing changes nothing.
    status, body = api("POST", f"/api/quiver/v1/signing-keys/registered_model/{name}", json={"name": "release", "public_key": pub})
    assert status == 200, body
    assert api("GET", f"/api/quiver/v1/model-versions/{name}/1/files")[1]["signature"] == {
        "state": "verified", "key": "release", "scope": f"model {name}"}

    # Signed with a key nobody trusted: untrusted.
    other_dir = save_model(tmp_path, iris, c=0.5)
    sign(other_dir, other_key)
    _, v2 = log_and_register(client, name, other_dir)
    assert api("GET", f"/api/quiver/v1/model-versions/{name}/{v2.version}/files")[1]["signature"]["state"] == "untrusted"

    # A file changed after signing: the signature no longer matches the files.
    tampered_dir = save_model(tmp_path, iris, c=0.7)
    sign(tampered_dir, key)
    (tampered_dir / "MLmodel").write_text((tampered_dir / "MLmodel").read_text() + "\n# changed after signing\n")
    _, v3 = log_and_register(client, name, tampered_dir)
    signature = api("GET", f"/api/quiver/v1/model-versions/{name}/{v3.version}/files")[1]["signature"]
    assert signature["state"] == "mismatch" and "MLmodel" in signature["detail"], signature

    # The registered files change through no route, not even for the administrator.
    with pytest.raises(Exception):  # the client raises on the refused upload (400 INVALID_STATE)
        client.log_text(run_id, "evil", "model/model.pkl")
    for path in ("model/model.pkl", "model"):
        r = requests.delete(
            f"{tracking_uri}/api/2.0/mlflow-artifacts/artifacts/{v1_artifacts(client, run_id)}/{path}",
            headers=auth_headers, timeout=30,
        )
        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_STATE", r.text
    loaded = mlflow.pyfunc.load_model(f"models:/{name}/1")
    assert len(loaded.predict(iris[0][:5])) == 5

    # A protected alias that requires a signature: the untrusted version is refused, the verified one moves it.
    status, body = api("PUT", f"/api/quiver/v1/protected-aliases/registered_model/{name}",
                       json={"aliases": ["Champion"], "required_approvals": 1, "allow_self_approval": True, "require_signature": True})
    assert status == 200, body
    status, request = api("POST", "/api/quiver/v1/approval-requests",
                          json={"model": name, "version": int(v2.version), "alias": "Champion", "action": "set"})
    assert status == 200, request
    status, body = api("POST", f"/api/quiver/v1/approval-requests/{request['id']}/approve", json={})
    assert status == 409 and "needs a signature" in body["message"], body
    status, request = api("POST", "/api/quiver/v1/approval-requests",
                          json={"model": name, "version": int(v1.version), "alias": "Champion", "action": "set"})
    status, body = api("POST", f"/api/quiver/v1/approval-requests/{request['id']}/approve", json={})
    assert status == 200 and body["state"] == "approved", body
    assert client.get_model_version_by_alias(name, "Champion").version == v1.version


def v1_artifacts(client, run_id):
    """The run's artifact folder below the store's root (`<experiment>/<run>/artifacts`)."""
    uri = client.get_run(run_id).info.artifact_uri
    return uri.split("mlflow-artifacts:/", 1)[1].strip("/")
