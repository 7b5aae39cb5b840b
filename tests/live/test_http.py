"""HTTP at the edges, against the server users run (`referee serve`, gunicorn): chunked bodies,
oversized bodies and the connection after them, deep JSON, paths without their slash."""

import http.client
import json
import socket
import sqlite3
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.live.conftest import embedded_env, referee_tokens
from tests.live.processes import START_TIMEOUT, healthy, wait_until
from tests.notifications.conftest import free_port

pytestmark = pytest.mark.live
LIMIT = 1024 * 1024


def raw_exchange(url: str, request: bytes) -> tuple[bytes, bool]:
    """Send `request` on a fresh connection; the response, and whether the server then closed it."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        try:
            sock.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may refuse before the body is all sent; its answer is still there
        response = b""
        while b"\r\n\r\n" not in response or not response.endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                return response, True
            response += chunk
        try:
            closed = sock.recv(1) == b""
        except (TimeoutError, ConnectionResetError):
            closed = False
        return response, closed


def header_block(method, path, token, extra="") -> bytes:
    return (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n"
            f"Content-Type: application/json\r\n{extra}\r\n").encode()


@pytest.fixture(scope="module")
def served(embedded_module):
    """One `referee serve` (no worker: these tests queue nothing) with the demo manager's token
    and a draft batch of the demo call."""
    server = embedded_module.start("serve-http", worker=False)
    token = referee_tokens(server.var)["manager"]["token"]
    connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=10)
    connection.request("GET", "/api/assignment-batches/?status=draft", headers={"Authorization": f"Token {token}"})
    batch = json.loads(connection.getresponse().read())[0]["uuid"]
    connection.close()
    return server, token, batch


def test_a_chunked_patch_is_read_and_applied(served):
    server, token, batch = served
    connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=10)
    body = iter([b'{"manager_notes": ', b'"sent in chunks"}'])
    connection.request("PATCH", f"/api/assignment-batches/{batch}/", body=body, encode_chunked=True,
                       headers={"Authorization": f"Token {token}", "Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 200, response.read()
    assert json.loads(response.read())["manager_notes"] == "sent in chunks"
    assert response.getheader("Connection") == "close"
    connection.close()


def test_a_chunked_body_over_the_limit_is_refused_and_the_connection_closed(served):
    server, token, batch = served
    chunk = b"x" * 65536
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(LIMIT // len(chunk) + 2)) + b"0\r\n\r\n"
    request = header_block("PATCH", f"/api/assignment-batches/{batch}/", token, "Transfer-Encoding: chunked\r\n")
    response, closed = raw_exchange(server.url, request + chunks)
    assert response.startswith(b"HTTP/1.1 400 ")
    assert b"Connection: close" in response and response.endswith(b'{"detail": "Request body exceeds 1048576 bytes."}')
    assert closed


def test_after_an_oversized_body_the_server_says_close_and_closes(served):
    """gunicorn drains 64 KiB of an unread body at most: the next request on that connection would
    be lost, so the refusal must say so (Connection: close) and the server close it."""
    server, token, batch = served
    body = b'{"manager_notes": "' + b"x" * (2 * LIMIT) + b'"}'
    request = header_block("PATCH", f"/api/assignment-batches/{batch}/", token, f"Content-Length: {len(body)}\r\n")
    response, closed = raw_exchange(server.url, request + body + header_block("GET", "/health/", token))
    assert response.startswith(b"HTTP/1.1 400 ") and b"Connection: close" in response
    assert response.count(b"HTTP/1.1") == 1 and closed


def test_a_small_body_keeps_the_connection_alive(served):
    server, token, batch = served
    connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=10)
    for notes in ("one", "two"):
        connection.request("PATCH", f"/api/assignment-batches/{batch}/", body=json.dumps({"manager_notes": notes}),
                           headers={"Authorization": f"Token {token}", "Content-Type": "application/json"})
        response = connection.getresponse()
        assert (response.status, json.loads(response.read())["manager_notes"]) == (200, notes)
        assert response.getheader("Connection") == "keep-alive"
    connection.close()


def test_deep_json_and_slashless_writes_answer_json_through_gunicorn(served):
    server, token, batch = served
    connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=10)
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    connection.request("PATCH", f"/api/assignment-batches/{batch}/", body="[" * 50_000 + "]" * 50_000, headers=headers)
    response = connection.getresponse()
    assert (response.status, json.loads(response.read())) == (
        400, {"detail": "JSON parse error - nested deeper than 32 levels."})
    connection.request("POST", f"/api/assignment-batches/{batch}/send", body="{}", headers=headers)
    response = connection.getresponse()
    assert response.status == 404 and response.getheader("Content-Type") == "application/json"
    assert f"/api/assignment-batches/{batch}/send/" in json.loads(response.read())["detail"]
    connection.close()


def test_a_server_that_cannot_end_a_chunked_body_answers_411(served, embedded_module):
    """Django's development server (`referee runserver`) does not de-chunk request bodies."""
    _, token, batch = served
    port = free_port()
    var = served[0].var
    runserver = embedded_module.stack.spawn("runserver", [sys.executable, "-m", "referee.cli", "runserver", "--noreload",
                                                          f"127.0.0.1:{port}"], **embedded_env(var))
    wait_until(lambda: healthy(f"http://127.0.0.1:{port}", runserver), START_TIMEOUT, what="runserver to answer")
    connection = http.client.HTTPConnection(f"127.0.0.1:{port}", timeout=10)
    connection.request("PATCH", f"/api/assignment-batches/{batch}/", body=iter([b'{"manager_notes": "lost"}']),
                       encode_chunked=True, headers={"Authorization": f"Token {token}", "Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 411
    assert json.loads(response.read()) == {
        "detail": "Send the request body with a Content-Length header: this server cannot read a chunked body."}
    connection.close()


def test_a_request_line_too_long_for_gunicorn_answers_json(served):
    server, token, _ = served
    path = "/api/assignment-batches/?o=" + "x" * 5000
    response, closed = raw_exchange(server.url, header_block("GET", path, token))
    assert response.startswith(b"HTTP/1.1 414 URI Too Long") and b"Content-Type: application/json" in response
    body = json.loads(response.split(b"\r\n\r\n", 1)[1])
    assert body["detail"].startswith("URI Too Long") and closed


def test_concurrent_first_requests_for_the_schema_all_succeed(embedded_module):
    """drf-spectacular loads its extensions lazily on the first schema, not thread-safely: the
    schema is made once per process under a lock (8 concurrent first requests once answered 500)."""
    server = embedded_module.start("serve-schema", worker=False)
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda _: httpx.get(f"{server.url}/api/schema/?format=json", timeout=30), range(8)))
    assert [r.status_code for r in responses] == [200] * 8
    assert len({r.content for r in responses}) == 1


def test_a_write_that_waits_too_long_for_sqlites_lock_answers_503_and_changes_nothing(embedded_module):
    """The embedded database has one write lock; a request that cannot get it within
    SQLITE_LOCK_TIMEOUT is told to retry (503 JSON, Retry-After), not a 500 with no body."""
    server = embedded_module.start("serve-locked", worker=False, SQLITE_LOCK_TIMEOUT="1")
    token = referee_tokens(server.var)["manager"]["token"]
    headers = {"Authorization": f"Token {token}"}
    [batch] = httpx.get(f"{server.url}/api/assignment-batches/?status=draft&page_size=1", headers=headers).json()
    holder = sqlite3.connect(server.var / "referee.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        refused = httpx.patch(f"{server.url}/api/assignment-batches/{batch['uuid']}/", headers=headers, timeout=10,
                              json={"manager_notes": "while locked"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert refused.status_code == 503, refused.text
    assert refused.headers["Retry-After"] == "5"
    assert refused.json() == {"detail": "The database is busy with other changes; nothing was changed. Try again."}
    after = httpx.get(f"{server.url}/api/assignment-batches/{batch['uuid']}/", headers=headers).json()
    assert after["manager_notes"] == batch["manager_notes"]
    retried = httpx.patch(f"{server.url}/api/assignment-batches/{batch['uuid']}/", headers=headers, timeout=10,
                          json={"manager_notes": "after the lock"})
    assert retried.status_code == 200 and retried.json()["manager_notes"] == "after the lock"
