"""What the tab's conflict sections show: the call's latest detection job, and one page of its
conflicts under the filters asked for, each with the form of its review actions."""

from django.core.paginator import Paginator
from django.urls import reverse

from referee.conflicts.models import COIDetectionJob, ConflictOfInterest
from referee.conflicts.serializers import with_details
from referee.web.console.matching.forms import COI_RULE_COLUMNS, ConflictActionForm, ConflictsFilter

CONFLICTS_PER_PAGE = 25
# The rules' names as the COI rules grid says them ("recusal_required" is under "recusal_required_types").
RULE_LABELS = {name.removesuffix("_types"): label for name, label in COI_RULE_COLUMNS}
ACTIVE = (COIDetectionJob.State.PENDING, COIDetectionJob.State.RUNNING)


def page_links(request, call, page, param: str, anchor: str) -> dict:
    """The tab's URLs of the pages before and after `page` (its number in `param`), keeping the
    other parameters (filters, the other list's page)."""
    def url(number):
        query = request.GET.copy()
        query["tab"], query[param] = "matching", number
        return f"{reverse('console', args=[call.uuid])}?{query.urlencode()}#{anchor}"

    return {"previous": page.has_previous() and url(page.previous_page_number()),
            "next": page.has_next() and url(page.next_page_number())}


def detection_section(call) -> dict:
    return {"job": COIDetectionJob.objects.filter(call=call).order_by("-created", "-id").first(), "active": ACTIVE}


def action_form(conflict, data=None) -> ConflictActionForm:
    """The row's form, filled with the conflict's notes and plan: an action posts them back as
    they stand unless changed, and never blanks them by leaving a field empty. The conflict gets
    the label of its rule for its row."""
    conflict.rule_label = RULE_LABELS.get(conflict.rule, conflict.rule)
    return ConflictActionForm(data, conflict=conflict, initial={
        "review_notes": conflict.review_notes, "management_plan": conflict.management_plan})


def conflicts_section(request, call, *, refused=None) -> dict:
    """The filter form and one page (`coi_page`) of the call's conflicts, newest first: a count
    and one query of rows with what they show, however many. `refused` is a row's refused form."""
    conflicts = ConflictsFilter(request.GET, queryset=with_details(ConflictOfInterest.objects.filter(call=call)))
    rows = conflicts.qs if conflicts.is_valid() else ConflictOfInterest.objects.none()
    page = Paginator(rows.order_by("-detected_at", "-id"), CONFLICTS_PER_PAGE).get_page(request.GET.get("coi_page"))
    rows = [(conflict, action_form(conflict)) for conflict in page]
    if refused is not None:  # shown first, with its refusal, whether or not it is on this page
        rows = [(refused.conflict, refused)] + [row for row in rows if row[0].id != refused.conflict.id]
    form = conflicts.form
    return {"conflict_filter": form, "choice_filters": [form["status"], form["severity"], form["coi_type"]], "conflicts_page": page, "conflict_rows": rows,
            "conflict_links": page_links(request, call, page, "coi_page", "conflicts"),
            "refused_conflict": refused and refused.conflict.id}
