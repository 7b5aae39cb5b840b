"""Conflict detection and the conflicts of the Matching tab: start a detection job and follow its
progress (a fragment htmx polls every second while the job is pending or running) or cancel it,
and dismiss,
waive or recuse a conflict through `conflicts.domain`, as `/api/conflicts-of-interest/{uuid}/…/`
does (same body serializers, same predicate, same refusals)."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from referee.calls.predicates import can_manage_call
from referee.conflicts import domain
from referee.conflicts.detection_requests import cancel_detection, start_detection
from referee.conflicts.models import COIDetectionJob, ConflictOfInterest
from referee.conflicts.predicates import can_manage_conflict, can_manage_detection_job
from referee.conflicts.serializers import DismissSerializer, RecuseSerializer, WaiveSerializer, with_details
from referee.web.console.access import manages_call, reads_call
from referee.web.console.job_progress import cancel_in_place, progress_fragment
from referee.web.console.matching.sections import (
    action_form,
    conflicts_section,
    detection_job_progress,
    detection_section,
)
from referee.web.console.matching.views import answer, refused, tab, tab_url
from referee.web.pages import refusals_on, require

# Each review action: its API body serializer, its domain function, what the page says when done.
ACTIONS = {
    "dismiss": (DismissSerializer, domain.dismiss_conflict, "Conflict dismissed."),
    "waive": (WaiveSerializer, domain.waive_conflict, "Conflict waived under the management plan."),
    "recuse": (RecuseSerializer, domain.recuse_conflict, "Reviewer recused from the proposal."),
}


@manages_call
def detect(request, call):
    """Start a full detection (`detect-conflicts/`); its progress is then polled."""
    form = forms.Form(request.POST)
    with refusals_on(form):
        start_detection(call, user=request.user)
    return answer(request, call, form=form, refused=refused(form), key="detect_form", section="detection",
                  context=detection_section(call, can_manage=True), done="Conflict detection started.")


def _job(request, call, job_uuid) -> COIDetectionJob:
    return get_object_or_404(COIDetectionJob.objects.visible_to(request.user).filter(call=call), uuid=job_uuid)


@reads_call
@require_GET
def detection_progress(request, call, job_uuid):
    """The job's progress fragment; it polls itself again only while the job is active."""
    job = _job(request, call, job_uuid)
    return progress_fragment(request, detection_job_progress(call, job, can_manage=can_manage_call(request.user, call)))


@manages_call
def cancel_detection_job(request, call, job_uuid):
    """Cancel a pending or running detection (`coi-detection-jobs/{uuid}/cancel/`): the redrawn
    progress (htmx) or a redirect to the tab; refused (it has ended), 400 with the reason."""
    job = _job(request, call, job_uuid)
    require(can_manage_detection_job(request.user, job))
    form, fragment = cancel_in_place(request, job, cancel_detection,
                                     lambda job: detection_job_progress(call, job, can_manage=True))
    return fragment or answer(request, call, form=form, refused=form.refused, key="cancel_form", section="detection",
                              context=detection_section(call, can_manage=True), done="Conflict detection cancelled.")


@manages_call
def act_on_conflict(request, call, coi_uuid, action):
    """Dismiss, waive or recuse: the redrawn row (htmx) or a redirect to the conflicts (PRG);
    refused, 400 with the refusal beside the row's field or its buttons."""
    serializer_class, act, done = ACTIONS[action]
    rows = with_details(ConflictOfInterest.objects.visible_to(request.user).filter(call=call))
    conflict = get_object_or_404(rows, uuid=coi_uuid)
    require(can_manage_conflict(request.user, conflict))
    form = action_form(conflict, request.POST)
    body = form.body(serializer_class) if form.is_valid() else None
    if body is not None:
        with refusals_on(form):
            act(conflict, actor=request.user, **{key: value for key, value in body.items() if key != "status"})
    was_refused = refused(form)
    if not was_refused:
        conflict = rows.get(pk=conflict.pk)
        form = action_form(conflict)
    if request.htmx:
        return render(request, "web/console/matching/conflict_row.html", {
            "call": call, "can_manage": True, "conflict": conflict, "form": form, "open": was_refused,
            "done": "" if was_refused else done}, status=400 if was_refused else 200)
    if was_refused:
        return tab(request, call, status=400, **conflicts_section(request, call, refused=form))
    messages.success(request, done)
    return redirect(tab_url(call, "conflicts"))
