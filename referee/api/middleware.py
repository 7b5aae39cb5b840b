"""Every request body is read as it was sent, or refused before anything reads it (§7: body ≤ 1 MiB).

Django reads exactly CONTENT_LENGTH bytes, so a chunked body (no Content-Length) would be read as
empty and a PATCH would "succeed" changing nothing. `read_chunked_bodies` wraps the WSGI
application: when the server has de-chunked the input and ends it (gunicorn sets
`wsgi.input_terminated`, PEP 3333's extension) the body is read within the limit and handed on
with its length; a server that cannot end a chunked input gets 411. gunicorn closes the
connection after a chunked or oversized request (referee/gunicorn_config.py)."""

import io
import json

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest
from django.template.loader import render_to_string


def detail(message: str) -> bytes:
    return json.dumps({"detail": message}).encode()


def too_large() -> str:
    return f"Request body exceeds {settings.REFEREE_MAX_BODY_BYTES} bytes."


LENGTH_REQUIRED = "Send the request body with a Content-Length header: this server cannot read a chunked body."


def read_chunked_bodies(application):
    def wrapped(environ, start_response):
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            if not environ.get("wsgi.input_terminated"):
                return refuse(start_response, "411 Length Required", LENGTH_REQUIRED)
            limit = settings.REFEREE_MAX_BODY_BYTES
            body = environ["wsgi.input"].read(limit + 1)
            if len(body) > limit:
                return refuse(start_response, "400 Bad Request", too_large())
            environ = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
            del environ["HTTP_TRANSFER_ENCODING"]
        return application(environ, start_response)

    return wrapped


def refuse(start_response, status: str, message: str) -> list[bytes]:
    body = detail(message)
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class RequestSizeLimitMiddleware:
    """A declared length over the limit is refused before anything reads the body: in JSON under
    /api/, on a page in words (a form sent with htmx keeps its place: the message goes above it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REFEREE_MAX_BODY_BYTES:
            if request.path.startswith("/api/"):
                return HttpResponse(detail(too_large()), status=400, content_type="application/json")
            return too_large_page(request)
        return self.get_response(request)


def too_large_page(request) -> HttpResponse:
    limit = f"{settings.REFEREE_MAX_BODY_BYTES // 1024} KiB"
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(render_to_string("web/too_large.html", {"limit": limit, "fragment": True}), status=400)
        response["HX-Retarget"], response["HX-Reswap"] = "#main", "afterbegin"
        return response
    return HttpResponse(render_to_string("web/too_large.html", {"limit": limit}), status=400)


class RefuseNulCharactersMiddleware:
    """A query parameter holding U+0000 is refused with 400 before it reaches a query: PostgreSQL
    cannot compare text with it (a 500 in every free-text filter and in the admin's search)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                message = f"Query parameter '{name.replace(chr(0), '')}' contains the NUL character."
                if request.path.startswith("/api/"):
                    return HttpResponse(detail(message), status=400, content_type="application/json")
                return HttpResponseBadRequest(message, content_type="text/plain")
        return self.get_response(request)
