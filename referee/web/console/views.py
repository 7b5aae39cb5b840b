"""The console's two pages of its own: the calls a user manages (`/manage/`), and one call with
its tabs (`/call/<uuid>/manage/?tab=<key>`), whose content each tab's view renders through
`render_tab`."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from referee.assignments.queries import round_up
from referee.calls.models import Call
from referee.calls.predicates import can_manage_call, can_open_console
from referee.web.console import tabs
from referee.web.console.access import reads_call
from referee.web.pages import require, signed_in


@signed_in
@require_GET
def calls(request):
    require(can_open_console(request.user), hidden=True)  # as for a call one cannot see
    rows = list(Call.objects.readable_for_management(request.user).order_by("-created", "id"))
    counts = round_up(call.id for call in rows)
    return render(request, "web/console/calls.html", {
        "calls": [(call, counts[call.id]) for call in rows],
    })


@reads_call
@require_GET
def call(request, call):
    tab = tabs.chosen(request.GET)
    if tab is None:
        raise Http404("No such tab")
    return tab.view(request, call)


def render_tab(request, call, template: str, context: dict | None = None, *, status: int = 200,
               tab: str | None = None):
    """Render a tab's template (which extends `web/console/tab.html`) with what every tab shows:
    the call, the tabs with the current one, and whether this user may act (support reads).
    `tab` is the current tab's key: an action route, whose URL names no tab, passes its own when
    it redraws the tab (a refusal, 400); by default it is the tab the query asks for."""
    if tab is None:
        current = tabs.chosen(request.GET)
        tab = current.key if current else None
    return render(request, template, {
        "call": call,
        "tabs": tabs.in_order(),
        "current_tab": tab,
        "can_manage": can_manage_call(request.user, call),
        **(context or {}),
    }, status=status)
