"""What the tab's job and conflict sections show: the call's latest affinity computation and
detection as the console's job progress (`web.console.job_progress`), and one page of its
conflicts under the filters asked for, each with the form of its review actions."""

from django.core.paginator import Paginator
from django.urls import reverse

from referee.assignments.models import MatchingJob
from referee.conflicts.models import COIDetectionJob, ConflictOfInterest
from referee.conflicts.serializers import with_details
from referee.web.console.job_progress import JobProgress, matching_job_progress
from referee.web.console.matching.forms import COI_RULE_COLUMNS, ConflictActionForm, ConflictsFilter

CONFLICTS_PER_PAGE = 25
# The rules' names as the COI rules grid says them ("recusal_required" is under "recusal_required_types").
RULE_LABELS = {name.removesuffix("_types"): label for name, label in COI_RULE_COLUMNS}
# The htmx event a poll sends once the affinity job has ended: the affinities section redraws itself.
AFFINITIES_ENDED = "affinities-ended"


def page_links(request, call, page, param: str, anchor: str) -> dict:
    """The tab's URLs of the pages before and after `page` (its number in `param`), keeping the
    other parameters (filters, the other list's page)."""
    def url(number):
        query = request.GET.copy()
        query["tab"], query[param] = "matching", number
        return f"{reverse('console', args=[call.uuid])}?{query.urlencode()}#{anchor}"

    return {"previous": page.has_previous() and url(page.previous_page_number()),
            "next": page.has_next() and url(page.next_page_number())}


def detection_job_progress(call, job: COIDetectionJob, *, can_manage: bool) -> JobProgress:
    call_uuid = call.uuid
    found = f"{job.conflicts_found} conflict{'' if job.conflicts_found == 1 else 's'} found"
    return JobProgress(
        key="detection", name="detection", state=job.state, state_label=job.get_state_display(),
        processed=job.processed_pairs, total=job.total_pairs, bar_label="Reviewer × proposal pairs checked",
        summary=f"{job.processed_pairs} of {job.total_pairs} pairs checked ({job.progress_percentage}%); {found}.",
        message=job.error_message, poll_url=reverse("console-matching-detection", args=[call_uuid, job.uuid]),
        cancel_url=reverse("console-matching-cancel-detection", args=[call_uuid, job.uuid]) if can_manage else "",
        cancel_label="Cancel detection", done_label="See the conflicts",
        done_url=f"{reverse('console', args=[call_uuid])}?tab=matching#conflicts")


def detection_section(call, *, can_manage: bool) -> dict:
    job = COIDetectionJob.objects.filter(call=call).order_by("-created", "-id").first()
    return {"detection": job and detection_job_progress(call, job, can_manage=can_manage)}


def affinity_job_progress(call, job: MatchingJob, *, can_manage: bool) -> JobProgress:
    args = [call.uuid, job.uuid]
    return matching_job_progress(
        job, key="affinity", name="computation", bar_label="Steps of the computation done",
        poll_url=reverse("console-matching-affinity-job", args=args),
        cancel_url=reverse("console-matching-cancel-affinity-job", args=args) if can_manage else "",
        cancel_label="Cancel the computation", ended_event=AFFINITIES_ENDED)


def affinity_job_section(call, *, can_manage: bool) -> dict:
    job = (MatchingJob.objects.filter(call=call, kind=MatchingJob.Kind.AFFINITIES)
           .order_by("-created", "-id").first())
    return {"affinity_job": job and affinity_job_progress(call, job, can_manage=can_manage)}


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
