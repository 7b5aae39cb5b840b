"""What the pages answer when a row goes while a request is using it."""

from django.core.exceptions import ObjectDoesNotExist
from django.core.handlers.exception import response_for_exception
from django.http import Http404


class VanishedRowNotFoundMiddleware:
    """A page reads its row visibly, then its action locks it again (`select_for_update`, §7): a
    row deleted by another request in between is not found by the lock. That is the page's 404,
    as a moment later, not a server error; the API's exception handler answers the same for its
    views (referee.api.exceptions), which never reach this hook."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, ObjectDoesNotExist):
            return response_for_exception(request, Http404())
        return None
