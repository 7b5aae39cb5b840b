"""The Assignments tab's background jobs (issue 13): generating a preview and comparing the
algorithms run as matching jobs (`assignments.matching_jobs`), never inside a request. The tab
shows each kind's latest job through the console's job progress (`web.console.job_progress`:
its numbers, its stage in words, a cancel), which polls itself while the job is active; when a
poll finds it ended, the answer's `ENDED_EVENT` makes the panel reload, so the new preview or
the comparison's table appears."""

from django.shortcuts import get_object_or_404
from django.urls import reverse

from referee.assignments.models import MatchingJob
from referee.web.console.job_progress import JobProgress, matching_job_progress

ENDED_EVENT = "assignments-job-ended"  # the panel listens for it and reloads
NAMES = {MatchingJob.Kind.GENERATION: "preview generation", MatchingJob.Kind.COMPARISON: "comparison of the algorithms"}


def job_progress(job: MatchingJob, *, can_manage: bool) -> JobProgress:
    """`job`'s progress, in the ids `<kind>-progress` and `<kind>-bar`."""
    args, name = [job.call.uuid, job.uuid], NAMES[job.kind]
    return matching_job_progress(
        job, key=job.kind, name=name, bar_label=f"Steps of the {name} done",
        poll_url=reverse("console-assignments-job", args=args),
        cancel_url=reverse("console-assignments-cancel-job", args=args) if can_manage else "",
        cancel_label=f"Cancel the {name}", ended_event=ENDED_EVENT)


def latest_jobs(call, *, can_manage: bool) -> dict:
    """The latest job of each kind the tab starts, as `<kind>_job` (None before any): two queries."""
    latest = {}
    for kind in NAMES:
        job = MatchingJob.objects.filter(call=call, kind=kind).select_related("call").order_by("-created", "-id").first()
        latest[f"{kind}_job"] = job and job_progress(job, can_manage=can_manage)
    return latest


def tab_job(request, call, job_uuid) -> MatchingJob:
    """One of the call's jobs of the kinds this tab starts, as the user may see it (else 404)."""
    rows = MatchingJob.objects.visible_to(request.user).filter(call=call, kind__in=list(NAMES))
    return get_object_or_404(rows.select_related("call"), uuid=job_uuid)
