"""The Assignments tab's background jobs (issue 13): generating a preview and comparing the
algorithms run as matching jobs (`assignments.matching_jobs`), never inside a request. The tab
shows each kind's latest job through one fragment (`web/console/assignments/job.html`: its
numbers, its stage in words, a cancel) that polls itself while the job is active; when a poll
finds it completed, the answer's `HX-Trigger` makes the panel reload, so the new preview or the
comparison's table appears."""

from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from referee.assignments.models import MatchingJob
from referee.calls.predicates import can_manage_call

FRAGMENT = "web/console/assignments/job.html"
COMPLETED_EVENT = "assignments-job-completed"  # the panel listens for it and reloads
LABELS = {MatchingJob.Kind.GENERATION: "Preview generation", MatchingJob.Kind.COMPARISON: "Comparison of the algorithms"}


def shown_job(job: MatchingJob) -> dict:
    """What the fragment needs of `job`: the job, its label, its element id and its URLs."""
    args = [job.call.uuid, job.uuid]
    return {"job": job, "label": LABELS[job.kind], "id": f"{job.kind}-job",
            "poll_url": reverse("console-assignments-job", args=args),
            "cancel_url": reverse("console-assignments-cancel-job", args=args)}


def latest_jobs(call) -> dict:
    """The latest job of each kind the tab starts, as `<kind>_job` (None before any): two queries."""
    latest = {}
    for kind in LABELS:
        job = MatchingJob.objects.filter(call=call, kind=kind).select_related("call").order_by("-created", "-id").first()
        latest[f"{kind}_job"] = shown_job(job) if job else None
    return latest


def tab_job(request, call, job_uuid) -> MatchingJob:
    """One of the call's jobs of the kinds this tab starts, as the user may see it (else 404)."""
    rows = MatchingJob.objects.visible_to(request.user).filter(call=call, kind__in=list(LABELS))
    return get_object_or_404(rows.select_related("call"), uuid=job_uuid)


def fragment(request, call, job, *, status=200, **context):
    """The job's fragment alone (a poll, or an htmx cancel); a completed job's tells the panel."""
    response = render(request, FRAGMENT, {"call": call, "progress": shown_job(job),
                                          "can_manage": can_manage_call(request.user, call), **context},
                      status=status)
    if request.htmx and job.state == MatchingJob.State.COMPLETED:
        response["HX-Trigger"] = COMPLETED_EVENT
    return response
