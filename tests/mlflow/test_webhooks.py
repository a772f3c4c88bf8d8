"""Webhooks created through MLflow's API are delivered as MLflow's own server delivers them: its
payload ({entity, action, timestamp, data}) and its X-MLflow-* headers, signed so that MLflow's
own signing code (mlflow.webhooks.delivery) produces the same signature. The receiver is a
loopback HTTP server in this process (the suite's Quiver runs with --webhook-allow-private)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from mlflow.webhooks.delivery import _generate_hmac_signature

from helpers import hexid


class Receiver:
    def __init__(self):
        self.requests = []  # (headers, raw body)
        seen = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                seen.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait_for(self, count, seconds=20):
        deadline = time.time() + seconds
        while len(self.requests) < count and time.time() < deadline:
            time.sleep(0.05)
        return list(self.requests)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


def test_a_new_version_reaches_a_receiver_written_for_mlflow(client, new_name, receiver):
    # Shaped like a Standard Webhooks secret on purpose: MLflow signs with the secret as given.
    secret = f"whsec_{hexid(12)}"
    hook = client.create_webhook(
        name=f"deploy-{hexid()}",
        url=receiver.url,
        events=["model_version.created", "model_version_alias.created"],
        secret=secret,
    )
    try:
        name = new_name("hooked")
        client.create_registered_model(name)
        client.create_model_version(name, source="s3://bucket/model", tags={"team": "fraud"})
        client.set_registered_model_alias(name, "Champion", "1")
        got = receiver.wait_for(2)
    finally:
        client.delete_webhook(hook.webhook_id)
    assert len(got) == 2, got

    bodies = {}
    for headers, raw in got:
        delivery, stamp = headers["x-mlflow-delivery-id"], headers["x-mlflow-timestamp"]
        assert abs(time.time() - int(stamp)) < 600
        expected = _generate_hmac_signature(secret, delivery, stamp, raw.decode())
        assert headers["x-mlflow-signature"] == expected
        body = json.loads(raw)
        bodies[body["entity"]] = body
    version = bodies["model_version"]
    assert version["action"] == "created"
    assert version["data"] == {
        "name": name,
        "version": "1",
        "source": "s3://bucket/model",
        "run_id": None,
        "tags": {"team": "fraud"},
        "description": None,
    }
    alias = bodies["model_version_alias"]
    assert alias["action"] == "created"
    assert alias["data"] == {"name": name, "alias": "Champion", "version": "1"}


def test_test_sends_an_example_and_reports_the_answer(client, receiver):
    hook = client.create_webhook(
        name=f"probe-{hexid()}", url=receiver.url, events=["model_version.created"], secret="probe"
    )
    try:
        result = client.test_webhook(hook.webhook_id)
    finally:
        client.delete_webhook(hook.webhook_id)
    assert result.success, result
    assert result.response_status == 200
    (headers, raw), = receiver.wait_for(1)
    body = json.loads(raw)
    assert (body["entity"], body["action"]) == ("model_version", "created")
    assert set(body["data"]) >= {"name", "version", "source"}
