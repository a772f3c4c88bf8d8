"""Round-robin reverse proxy: one address in front of several Quiver processes on one store.

    python tests/mlflow/round_robin_proxy.py LISTEN_PORT UPSTREAM_PORT [UPSTREAM_PORT ...] [--log LOG.jsonl]

Listens on 127.0.0.1:LISTEN_PORT and sends each HTTP request (not each connection: the MLflow
client keeps its connections alive) to the next upstream 127.0.0.1:UPSTREAM_PORT in turn, so a
read that follows a write usually lands on the other process. The request body is read whole
(Content-Length or chunked) and forwarded with a Content-Length; the response is streamed back in
pieces, with its status, reason and headers (every Set-Cookie) kept and hop-by-hop headers
dropped; HEAD, 204 and 304 carry no body. The client's Host is kept, so URLs a server builds from
it point back at the proxy. An upstream that cannot be reached gets a 502 (no failover: a dead
process must show). With --log, one JSON line per exchange: time, upstream, method, path, status,
milliseconds. On SIGTERM or SIGINT it prints the requests each upstream got to stderr and exits:

    round_robin_proxy: upstream 127.0.0.1:41234 requests=812 errors=0 5xx=0

Standard library only.
"""
import http.client
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 256 * 1024
# Hop-by-hop headers (RFC 9110 7.6.1) and Expect (the proxy answers 100-continue itself and
# forwards a complete body); Content-Length is set from the body actually forwarded.
HOP = {
    "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
    "te", "trailer", "trailers", "transfer-encoding", "upgrade",
}


def usage():
    sys.exit(__doc__.split("\n\n")[1])


args = sys.argv[1:]
LOG = None
if "--log" in args:
    i = args.index("--log")
    if i + 1 >= len(args):
        usage()
    LOG = args[i + 1]
    del args[i : i + 2]
if len(args) < 2 or not all(a.isdigit() for a in args):
    usage()
LISTEN = int(args[0])
UPSTREAMS = [int(a) for a in args[1:]]

lock = threading.Lock()
turn = 0
requests_to = [0] * len(UPSTREAMS)
errors_to = [0] * len(UPSTREAMS)  # upstream unreachable or broke off mid-exchange
server_errors_to = [0] * len(UPSTREAMS)  # answered 5xx


def next_upstream():
    global turn
    with lock:
        i = turn % len(UPSTREAMS)
        turn += 1
        requests_to[i] += 1
        return i


def dropped(headers):
    """Hop-by-hop names: the fixed ones and those the Connection header lists."""
    names = set(HOP)
    for value in headers.get_all("Connection") or []:
        names.update(t.strip().lower() for t in value.split(",") if t.strip())
    return names


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "round-robin-proxy"

    def log_message(self, *a):
        pass

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ConnectionError("client closed mid-body")
                n = int(line.strip().split(b";")[0], 16)
                if n == 0:
                    while self.rfile.readline(65537).strip():  # trailers, then the blank line
                        pass
                    return b"".join(parts), True
                parts.append(self._read_exact(n))
                self.rfile.readline(3)  # CRLF after the chunk
        n = self.headers.get("Content-Length")
        if n is None:
            return b"", False
        return self._read_exact(int(n)), True

    def _read_exact(self, n):
        parts, left = [], n
        while left:
            piece = self.rfile.read(min(left, CHUNK))
            if not piece:
                raise ConnectionError("client closed mid-body")
            parts.append(piece)
            left -= len(piece)
        return b"".join(parts)

    def _fail(self, status, text):
        body = text.encode()
        self.send_response_only(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _go(self):
        started = time.monotonic()
        try:
            raw, had_body = self._read_body()
        except (ConnectionError, ValueError, OSError):
            self.close_connection = True
            return
        i = next_upstream()
        port = UPSTREAMS[i]
        status, conn = None, None
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            skip = dropped(self.headers) | {"content-length", "expect"}
            for k, v in self.headers.items():  # every occurrence, in order
                if k.lower() not in skip:
                    conn.putheader(k, v)
            if had_body or raw or self.command in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(raw)))
            conn.endheaders()
            if raw:
                conn.send(raw)
            r = conn.getresponse()
        except (OSError, http.client.HTTPException) as e:
            with lock:
                errors_to[i] += 1
            if conn is not None:
                conn.close()
            self._fail(502, f"round_robin_proxy: upstream 127.0.0.1:{port}: {e!r}\n")
            self._log(i, 502, started)
            return
        status = r.status
        try:
            self._relay(r)
        except (OSError, http.client.HTTPException):
            # Either side broke off mid-body: the client cannot be told any more; drop it.
            with lock:
                errors_to[i] += 1
            self.close_connection = True
        finally:
            conn.close()
            if status >= 500:
                with lock:
                    server_errors_to[i] += 1
            self._log(i, status, started)

    def _relay(self, r):
        bodiless = self.command == "HEAD" or r.status in (204, 304) or 100 <= r.status < 200
        skip = dropped(r.msg)
        length = r.getheader("Content-Length")
        # Without a length (upstream chunked or close-delimited) the body goes to the client
        # chunked (HTTP/1.1 clients) or delimited by closing the connection (HTTP/1.0 clients).
        chunked_out = not bodiless and length is None and self.request_version == "HTTP/1.1"
        self.send_response_only(r.status, r.reason)
        for k, v in r.getheaders():  # every occurrence: several Set-Cookie stay several
            if k.lower() not in skip:
                self.send_header(k, v)
        if chunked_out:
            self.send_header("Transfer-Encoding", "chunked")
        elif not bodiless and length is None:
            self.send_header("Connection", "close")  # also sets close_connection
        self.end_headers()
        if bodiless:
            r.read()  # nothing for HEAD/204/304; lets http.client finish the response
            self.wfile.flush()
            return
        while True:
            piece = r.read1(CHUNK) if hasattr(r, "read1") else r.read(CHUNK)
            if not piece:
                break
            if chunked_out:
                self.wfile.write(b"%x\r\n%b\r\n" % (len(piece), piece))
            else:
                self.wfile.write(piece)
        if chunked_out:
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _log(self, i, status, started):
        if not LOG:
            return
        path, _, query = self.path.partition("?")
        rec = {
            "t": time.time(), "upstream": UPSTREAMS[i], "method": self.command, "path": path,
            "query": query, "status": status, "ms": round((time.monotonic() - started) * 1000, 1),
        }
        with lock, open(LOG, "a") as f:
            f.write(json.dumps(rec) + "\n")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _go


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def report_and_exit(signum=None, frame=None):
    with lock:
        lines = [
            f"round_robin_proxy: upstream 127.0.0.1:{p} requests={requests_to[i]} errors={errors_to[i]} 5xx={server_errors_to[i]}"
            for i, p in enumerate(UPSTREAMS)
        ]
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()
    os._exit(0)  # handler threads may be mid-exchange; nothing of theirs needs finishing


signal.signal(signal.SIGTERM, report_and_exit)
signal.signal(signal.SIGINT, report_and_exit)
Server(("127.0.0.1", LISTEN), Handler).serve_forever()
