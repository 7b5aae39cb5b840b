"""The Audit tab: the call's events as `/api/events/` shows them (`visible_to`, its filterset
extended in `forms.CallEventFilter`), newest first, a page at a time (constant queries); bad
filter input is a 400 with the message beside the field."""

import json

from referee.core.models import AuditEvent
from referee.web.console.audit.forms import CallEventFilter
from referee.web.console.paging import page_of
from referee.web.console.views import render_tab

PER_PAGE = 50


def tab(request, call):
    events = AuditEvent.objects.visible_to(request.user).filter(call=call)
    types = events.order_by("event_type").values_list("event_type", flat=True).distinct()
    filters = CallEventFilter(request.GET, queryset=events, event_types=list(types))
    valid = filters.is_valid()
    rows = (filters.qs if valid else events.none()).select_related("actor").order_by("-created", "-id")
    listing = page_of(request, rows, per_page=PER_PAGE)
    for event in listing.page:
        event.context_text = json.dumps(event.context, ensure_ascii=False, sort_keys=True, indent=1) if event.context else ""
    return render_tab(request, call, "web/console/audit/tab.html", {"filters": filters, "listing": listing},
                      status=200 if valid else 400)
