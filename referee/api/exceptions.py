"""One error shape for every endpoint (§1, Errors), also for what never reaches a view: unknown
paths, server errors and Django's own refusals under /api/."""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from referee.core.errors import DomainError, FieldError, Unavailable

BUSY_RETRY_SECONDS = 5


def exception_handler(exc, context):
    if isinstance(exc, OperationalError) and "database is locked" in str(exc):
        # SQLite (the embedded default) has one write lock for the whole database and gives up
        # after waiting its timeout: the transaction was rolled back, so the caller may retry.
        return Response({"detail": "The database is busy with other changes; nothing was changed. Try again."},
                        status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": str(BUSY_RETRY_SECONDS)})
    if isinstance(exc, Unavailable):
        return Response({"detail": exc.message}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
    if isinstance(exc, FieldError):
        return Response({exc.field: [exc.message]}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DomainError):
        return Response({"detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": "Request body is too large."}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        # ObjectDoesNotExist: the row went between the view's read and the action's lock (another
        # request deleted it; the fuzz test's callers do): it is not found, as it would have been.
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.UnsupportedMediaType):
        # Only JSON is spoken here; a wrong content type is bad input, not a server error.
        exc = exceptions.ParseError(str(exc.detail))
    return drf_exception_handler(exc, context)


# --- errors outside the API's views (Django's handlers, the catch-all route) -------------------

API_PREFIX = "/api/"
NOT_FOUND_ROUTE = "api-not-found"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status)


@csrf_exempt  # the API authenticates by token; a cookie-less POST must get this 404, not a CSRF 403
def not_found(request, *args, **kwargs):
    """Every path under /api/ that no route serves: a JSON 404. A path that exists with a
    trailing slash is redirected for reads, as Django would; a write is refused with the right
    path, since following a redirect drops the body (clients retry a 301 as a GET)."""
    if not request.path.endswith("/") and serves(request.path + "/"):
        if request.method in SAFE_METHODS:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
        return error(404, f"Not found. Send {request.method} to {request.path}/ (paths of this API end with a slash).")
    return error(404, "Not found.")


def serves(path: str) -> bool:
    try:
        return resolve(path).url_name != NOT_FOUND_ROUTE
    except Resolver404:
        return False


def _in_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def bad_request(request, exception):
    return error(400, "Bad request.") if _in_api(request) else defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _in_api(request):
        return error(403, "You do not have permission to perform this action.")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    return error(404, "Not found.") if _in_api(request) else defaults.page_not_found(request, exception)


def server_error(request):
    """No trace leaves the server: the error is logged (django.request) with it."""
    return error(500, "Server error.") if _in_api(request) else defaults.server_error(request)
