#!/usr/bin/env python3
"""Fills an MLflow-compatible registry for scripts/bench-mlflow.sh, then checks what it wrote.

    bench_mlflow_populate.py URL --models N --versions V [--token T] [--threads 8] [--deadline S]

Creates models prod.ml_team.model_<i> (i < N), V versions each (source s3://bucket/<name>/<v>)
and the alias Champion → version 3 (or the last version when V < 3), one model per task on a
thread pool of requests.Session objects. Prints one line, `populated ... in S s (R req/s)`, and
exits non-zero on any error or when the deadline passes. Only talks to the URL it is given.
"""

import argparse
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

import requests

API = "/api/2.0/mlflow"


def model_name(i):
    return f"prod.ml_team.model_{i}"


class Client:
    def __init__(self, url, token, timeout):
        self.url = url.rstrip("/") + API
        self.token = token
        self.timeout = timeout
        self.local = threading.local()
        self.requests = 0
        self.lock = threading.Lock()

    def session(self):
        s = getattr(self.local, "s", None)
        if s is None:
            s = requests.Session()
            if self.token:
                s.headers["Authorization"] = f"Bearer {self.token}"
            self.local.s = s
        return s

    def call(self, method, path, **kw):
        r = self.session().request(method, self.url + path, timeout=self.timeout, **kw)
        with self.lock:
            self.requests += 1
        if r.status_code != 200:
            raise RuntimeError(f"{method} {path} {kw.get('json') or kw.get('params')}: {r.status_code} {r.text[:300]}")
        return r.json()


def populate_one(c, i, versions, alias_version, deadline):
    if time.monotonic() > deadline:
        raise TimeoutError("populate deadline passed")
    name = model_name(i)
    c.call("POST", "/registered-models/create", json={"name": name})
    for v in range(1, versions + 1):
        mv = c.call("POST", "/model-versions/create", json={"name": name, "source": f"s3://bucket/{name}/{v}"})
        if str(mv["model_version"]["version"]) != str(v):
            raise RuntimeError(f"{name}: expected version {v}, got {mv['model_version']['version']}")
    c.call("POST", "/registered-models/alias", json={"name": name, "alias": "Champion", "version": str(alias_version)})


def verify(c, models, versions, alias_version):
    """Spot checks that the benchmarked reads return what was written (so 200s mean something)."""
    for i in sorted({0, 42 % models, models // 2, models - 1}):
        name = model_name(i)
        m = c.call("GET", "/registered-models/get", params={"name": name})["registered_model"]
        assert m["name"] == name, m
        mv = c.call("GET", "/model-versions/get", params={"name": name, "version": str(alias_version)})["model_version"]
        assert str(mv["version"]) == str(alias_version) and mv["source"] == f"s3://bucket/{name}/{alias_version}", mv
        mv = c.call("GET", "/registered-models/alias", params={"name": name, "alias": "Champion"})["model_version"]
        assert str(mv["version"]) == str(alias_version), mv
        found = c.call("GET", "/model-versions/search", params={"filter": f"name='{name}'"}).get("model_versions", [])
        assert len(found) == versions, (name, len(found))
    page = c.call("GET", "/registered-models/search", params={"max_results": 100}).get("registered_models", [])
    assert len(page) == min(100, models), len(page)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--label", default="")
    p.add_argument("--token", default="")
    p.add_argument("--models", type=int, default=2000)
    p.add_argument("--versions", type=int, default=5)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--deadline", type=float, default=1200, help="seconds before giving up")
    p.add_argument("--timeout", type=float, default=30, help="seconds per request")
    a = p.parse_args()

    c = Client(a.url, a.token, a.timeout)
    alias_version = min(3, a.versions)
    start = time.monotonic()
    deadline = start + a.deadline
    # The first model alone: on Quiver it creates the catalog and schema, which concurrent
    # first writes would race for.
    populate_one(c, 0, a.versions, alias_version, deadline)
    with ThreadPoolExecutor(a.threads) as pool:
        futures = [pool.submit(populate_one, c, i, a.versions, alias_version, deadline) for i in range(1, a.models)]
        try:
            for f in as_completed(futures):
                f.result()
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    elapsed = time.monotonic() - start
    writes = c.requests
    verify(c, a.models, a.versions, alias_version)
    print(
        f"populated {a.label or a.url}: {a.models} models x {a.versions} versions + alias, "
        f"{writes} writes in {elapsed:.1f} s ({writes / elapsed:.0f} req/s, {a.threads} threads)"
    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, TimeoutError, AssertionError, requests.RequestException) as e:
        print(f"populate failed: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
