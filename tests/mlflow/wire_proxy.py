"""Logging reverse proxy for seeing what the MLflow client sends and what a server answers.

    python tests/mlflow/wire_proxy.py LISTEN_PORT UPSTREAM_PORT LOG.jsonl

Listens on 127.0.0.1:LISTEN_PORT, forwards every request to 127.0.0.1:UPSTREAM_PORT (MLflow or
Quiver), and appends one JSON line per exchange to LOG.jsonl: method, path, query, the first 7
characters of Authorization, request and response bodies (JSON parsed; other bodies as their size).
Point MLFLOW_TRACKING_URI at the proxy to record a suite run. Standard library only.
"""
import http.client, json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LISTEN, UPSTREAM, LOG = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


def body_repr(raw, ctype):
    if not raw:
        return None
    if "json" in (ctype or "") or raw[:1] in (b"{", b"["):
        try:
            return json.loads(raw)
        except Exception:
            pass
    return {"_bytes": len(raw), "_ctype": ctype}


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                n = int(self.rfile.readline().strip().split(b";")[0], 16)
                if n == 0:
                    self.rfile.readline()
                    return out
                out += self.rfile.read(n)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _go(self):
        raw = self._read_body()
        conn = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=300)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        hdrs["Host"] = f"127.0.0.1:{UPSTREAM}"
        if raw or self.command in ("POST", "PUT", "PATCH", "DELETE"):
            hdrs["Content-Length"] = str(len(raw))
        conn.request(self.command, self.path, body=raw, headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        path, _, query = self.path.partition("?")
        rec = {
            "t": time.time(), "method": self.command, "path": path, "query": query,
            "auth": self.headers.get("Authorization", "")[:7] or None,
            "req_ctype": self.headers.get("Content-Type"), "req": body_repr(raw, self.headers.get("Content-Type")),
            "status": r.status, "resp_ctype": r.getheader("Content-Type"),
            "resp": body_repr(data, r.getheader("Content-Type")),
            "ua": self.headers.get("User-Agent"),
        }
        with lock, open(LOG, "a") as f:
            f.write(json.dumps(rec) + "\n")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _go


ThreadingHTTPServer(("127.0.0.1", LISTEN), H).serve_forever()
