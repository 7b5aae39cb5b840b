"""gunicorn's configuration for every way Referee is served: `referee serve` loads it, and the
Procfile's web process passes `--config python:referee.gunicorn_config`. Command-line options
(bind, workers) come on top.

gunicorn drains at most 64 KiB of a request body the application did not read, then closes the
connection, yet its response says `Connection: keep-alive` (it ignores the application's own
Connection header, a hop-by-hop one): a client reusing the connection loses its next request. A
body we refuse unread or read from chunked framing is therefore marked here, before the request
runs, so gunicorn answers `Connection: close` and the client opens a new connection."""

worker_class = "gthread"
threads = 4
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
