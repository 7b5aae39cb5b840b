"""Who may open a call's console and act in it: the predicates the API's call actions ask
(`can_read_call_management`, `can_manage_call`), applied to the call found through
`Call.objects.visible_to` (a call the user cannot see is a 404, as under /api/)."""

from functools import wraps

from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from referee.calls.models import Call
from referee.calls.predicates import can_manage_call, can_read_call_management
from referee.web.pages import require, signed_in


def readable_call(request, uuid) -> Call:
    call = get_object_or_404(Call.objects.visible_to(request.user).select_related(
        "matching_config", "coi_config", "assignment_config"), uuid=uuid)
    require(can_read_call_management(request.user, call))
    return call


def reads_call(view):
    """`view(request, call, ...)` for `<uuid:uuid>` routes: managers, support and staff (403 for
    anyone else who sees the call, 404 for who does not)."""

    @signed_in
    @wraps(view)
    def page(request, uuid, *args, **kwargs):
        return view(request, readable_call(request, uuid), *args, **kwargs)

    return page


def manages_call(view):
    """`view(request, call, ...)` for POST routes that change a call's round: its managers and
    staff only (support reads, 403 here)."""

    @signed_in
    @require_POST
    @wraps(view)
    def action(request, uuid, *args, **kwargs):
        call = readable_call(request, uuid)
        require(can_manage_call(request.user, call))
        return view(request, call, *args, **kwargs)

    return action
