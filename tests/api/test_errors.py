"""Every error under /api/ in the one JSON shape (§1, Errors), also where no view runs: unknown
paths, writes to a path without its slash, server errors, bodies nested too deep.

Chunked bodies and the connection after an oversized one depend on the HTTP server: they are
tested against gunicorn in tests/live/test_http.py."""

import json

import pytest
from django.urls import get_resolver
from rest_framework.views import APIView

from referee.api.parsers import MAX_DEPTH, JSONParser, nesting
from referee.core.views import CustomerViewSet
from tests import factories as f
from tests.helpers import client_for

pytestmark = pytest.mark.django_db
DEEP = "[" * 50_000 + "]" * 50_000
TOO_DEEP = {"detail": f"JSON parse error - nested deeper than {MAX_DEPTH} levels."}


def json_404(response):
    assert response.status_code == 404, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


@pytest.mark.parametrize("role", ["anonymous", "stranger", "staff"])
def test_unknown_paths_answer_404_json(world, role):
    client = client_for(None if role == "anonymous" else getattr(world, role))
    batch = f.batch(world.entry)
    for path in ("/api/", "/api/nope/", "/api/nope", f"/api/assignment-batches/{batch.uuid.hex}/nope/",
                 "/api/assignment-batches/not-a-uuid/send/x/"):
        assert json_404(client.get(path)) == {"detail": "Not found."}, path
        assert json_404(client.post(path, {}, format="json")) == {"detail": "Not found."}, path


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_without_the_trailing_slash_names_the_right_path(world, method):
    batch = f.batch(world.entry)
    path = f"/api/assignment-batches/{batch.uuid.hex}"
    response = getattr(client_for(world.manager), method)(path, {"manager_notes": "x"}, format="json")
    assert json_404(response) == {
        "detail": f"Not found. Send {method.upper()} to {path}/ (paths of this API end with a slash)."}
    batch.refresh_from_db()
    assert batch.manager_notes == ""


def test_a_read_without_the_trailing_slash_is_redirected_with_its_query(world):
    response = client_for(world.staff).get("/api/customers", {"page_size": "2"})
    assert response.status_code == 301
    assert response["Location"] == "/api/customers/?page_size=2"


def test_a_server_error_answers_500_json_without_a_trace(world, monkeypatch):
    def broken(self, request, *args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(CustomerViewSet, "list", broken)
    client = client_for(world.staff)
    client.raise_request_exception = False
    response = client.get("/api/customers/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Server error."}


def test_pages_outside_the_api_keep_django_html_errors(world):
    response = client_for().get("/nope/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(("method", "path"), [
    ("post", "/api/proposal-protected-calls/{call}/create-manual-assignment/"),
    ("patch", "/api/assignment-batches/{batch}/"),
    ("post", "/api/reviewer-bids/bulk-submit/"),
    ("post", "/api-auth/password/"),
])
def test_json_nested_fifty_thousand_levels_deep_is_400(world, method, path):
    path = path.format(call=world.call.uuid.hex, batch=f.batch(world.entry).uuid.hex)
    response = getattr(client_for(world.staff), method)(path, DEEP, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json() == TOO_DEEP


def test_every_api_view_parses_with_the_depth_limit():
    """No view overrides the parser: the limit holds on every endpoint."""
    def views(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from views(pattern.url_patterns)
            else:
                yield getattr(pattern.callback, "cls", None)

    api_views = {view for view in views(get_resolver().url_patterns) if view and issubclass(view, APIView)}
    assert len(api_views) > 20
    assert {view: view.parser_classes for view in api_views if view.parser_classes != [JSONParser]} == {}


@pytest.mark.parametrize(("depth", "refused"), [(MAX_DEPTH, False), (MAX_DEPTH + 1, True)])
def test_the_depth_limit_counts_arrays_and_objects(world, depth, refused):
    body = json.dumps({"bids": [{"proposal_uuid": world.proposal.uuid.hex, "bid": "eager"}]})
    assert nesting(json.loads(body)) == 3
    nested = "[" * (depth - 1) + "{}" + "]" * (depth - 1)
    assert nesting(json.loads(nested)) == depth
    response = client_for(world.reviewer).post("/api/reviewer-bids/bulk-submit/", nested, content_type="application/json")
    assert (response.json() == TOO_DEEP) is refused
    assert response.status_code == 400


def test_a_nul_character_in_a_query_parameter_is_400_naming_it(world):
    response = client_for(world.staff).get("/api/events/", {"event_type": "CALL\x00CREATED"})
    assert (response.status_code, response.json()) == (
        400, {"detail": "Query parameter 'event_type' contains the NUL character."})
    assert client_for(world.staff).get("/admin/core/user/", {"q": "a\x00"}).status_code == 400


def test_a_nul_character_in_a_json_string_is_400(world):
    batch = f.batch(world.entry)
    for body in ('{"manager_notes": "a\\u0000b"}', '{"a\\u0000": 1}'):
        response = client_for(world.manager).patch(f"/api/assignment-batches/{batch.uuid.hex}/", body,
                                                   content_type="application/json")
        assert (response.status_code, response.json()) == (
            400, {"detail": "JSON parse error - strings must not contain the NUL character (\\u0000)."})
    batch.refresh_from_db()
    assert batch.manager_notes == ""


@pytest.mark.parametrize("moment", ["0087-08-24T19:47:38-19:58", "2026-01-01T00:00:00+23:59"])
def test_a_moment_with_an_offset_postgresql_rejects_is_compared_in_utc(world, moment):
    response = client_for(world.staff).get("/api/assignment-batches/", {"sent_after": moment})
    assert response.status_code == 200


def test_a_moment_out_of_range_is_400_naming_the_parameter(world):
    response = client_for(world.staff).get("/api/assignment-batches/", {"sent_after": "0001-01-01T00:00:00+05:00"})
    assert (response.status_code, response.json()) == (400, {"sent_after": ["Date and time out of range."]})
