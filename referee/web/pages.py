"""What every page view shares: sign-in required, and refusals of the domain shown beside the
field or action they concern, in the API's words."""

from contextlib import contextmanager
from datetime import UTC
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from referee.core.errors import DomainError, FieldError


def signed_in(view):
    """Anonymous visitors go to the sign-in page and come back. An htmx request from a page whose
    session has ended is answered with HX-Redirect, so the whole window goes to sign-in (and back
    to that page), instead of the sign-in page being swapped into a fragment."""

    @wraps(view)
    def page(request, *args, **kwargs):
        if request.user.is_authenticated:
            # Times on the pages read in the user's zone (UTC when none is set); the API stays in UTC.
            with timezone.override(request.user.time_zone or UTC):
                return view(request, *args, **kwargs)
        if request.htmx:
            back = request.htmx.current_url_abs_path or request.get_full_path()
            return HttpResponseClientRedirect(redirect_to_login(back)["Location"])
        return redirect_to_login(request.get_full_path())

    return page


def require(allowed: bool, *, hidden: bool = False) -> None:
    """Refuse what a permission predicate did not allow, as the API does: 404 where the thing must
    not be known to exist for this user (`hidden`), else 403. Views ask predicates and pass the
    answer here, so no view module decides or raises a refusal itself."""
    if not allowed:
        raise Http404 if hidden else PermissionDenied


@contextmanager
def refusals_on(form):
    """Run a domain action; a `FieldError` becomes an error of that field of `form` (or of the
    form when it has no such field), a `DomainError` an error of the form. `form.refused` tells."""
    form.refused = False
    try:
        yield
    except FieldError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        form.refused = True
    except DomainError as error:
        form.add_error(None, error.message)
        form.refused = True
