"""gunicorn's configuration for every way Referee is served: `referee serve` loads it, and the
Procfile's web process passes `--config python:referee.gunicorn_config`. Command-line options
(bind, workers) come on top.

gunicorn drains at most 64 KiB of a request body the application did not read, then closes the
connection, yet its response says `Connection: keep-alive` (it ignores the application's own
Connection header, a hop-by-hop one): a client reusing the connection loses its next request. A
body we refuse unread or read from chunked framing is therefore marked here, before the request
runs, so gunicorn answers `Connection: close` and the client opens a new connection.

Requests gunicorn refuses before any application code runs (a request line over 4094 bytes: 414,
headers too large: 431, a malformed request: 400) are answered in the API's one error shape,
`{"detail": message}`, instead of gunicorn's HTML page."""

import json

from gunicorn import util

worker_class = "gthread"
# A request waiting for a row lock (writers of one call queue on it) holds its thread: with 4,
# 8 clients on one call could hold every thread of a worker and /health/ queued behind them
# (docs/decisions.md, "2 workers × 8 threads").
threads = 8
# Idle keep-alive connections stay open this long. gunicorn's 2 s made clients with a connection
# pool send on connections gunicorn had just closed (ECONNRESET, a lost request); 75 s also
# outlasts the idle timeout of common load balancers (60 s), which must close first.
keepalive = 75
timeout = 60
graceful_timeout = 10
accesslog = "-"
errorlog = "-"
control_socket_disable = True  # gunicorn ≥ 25.1 would otherwise open a socket in $HOME


def pre_request(worker, req):
    from django.conf import settings  # the worker has loaded Django: this runs per request

    headers = dict(req.headers)  # (NAME, value) pairs, names in upper case
    try:
        length = int(headers.get("CONTENT-LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.REFEREE_MAX_BODY_BYTES or "chunked" in headers.get("TRANSFER-ENCODING", "").lower():
        req.must_close = True


def write_json_error(sock, status_int, reason, mesg):
    body = json.dumps({"detail": f"{reason}: {mesg}" if mesg else reason}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin1")
    util.write_nonblock(sock, head + body)


# gunicorn writes these pages with util.write_error (workers/base.py, Worker.handle_error) and has no
# setting for their format: its one function is replaced, in the master before the workers fork.
util.write_error = write_json_error
