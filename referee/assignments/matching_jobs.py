"""The engine's long actions as background jobs (issue 13): computing a call's affinities,
generating its assignments (a preview or a deployment) and comparing the algorithms run in a worker, never inside a request
that can time out. Starting one creates the pending job, its audit event and, after commit, its
task (`tasks.run_matching_job`, which runs `matching_runs.run_job`); apart from the run so that
the task module imports the run and this module the task, with no cycle (as in conflicts).

A job can be cancelled until its work writes: see `matching_runs`. A cancelled pending job is
never started; a running one stops at its next step, and its result is never written."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from referee.assignments.enums import MatchingJobKind
from referee.assignments.matching_runs import STEPS
from referee.assignments.models import MatchingJob
from referee.assignments.tasks import run_matching_job
from referee.core.audit import record
from referee.core.enums import AuditEventType
from referee.core.errors import DomainError
from referee.core.workers import require_worker

State = MatchingJob.State
# What each kind is called in refusals.
NAMES = {MatchingJobKind.AFFINITIES: "The affinity computation",
         MatchingJobKind.GENERATION: "The generation of assignments",
         MatchingJobKind.COMPARISON: "The comparison of the algorithms"}
ALREADY_RUNNING = "{name} is already pending or running for this call."
NOT_ACTIVE = "This job has already {state}: only a pending or running job can be cancelled."
CANCELLED = "Cancelled by {name} before anything was written."


def start_affinity_job(call, *, user) -> MatchingJob:
    """Queue the computation of every pair's affinity (what `compute-affinities` does at once)."""
    return _start(call, MatchingJobKind.AFFINITIES, user, {})


def start_generation_job(call, *, user, dry_run=True, proposal_uuids=None, reviewers_per_proposal=None,
                         seed=None) -> MatchingJob:
    """Queue a generation: a preview by default (`dry_run`), else a deployment to draft batches.
    The arguments are `generate-assignments`' and are checked by its serializer."""
    parameters = {"dry_run": bool(dry_run), "reviewers_per_proposal": reviewers_per_proposal,
                  "proposal_uuids": None if proposal_uuids is None else [key.hex for key in proposal_uuids]}
    if seed is not None:  # a randomized generation's draw asked for again
        parameters["seed"] = seed
    return _start(call, MatchingJobKind.GENERATION, user, parameters)


def start_comparison_job(call, *, user, reviewers_per_proposal=None) -> MatchingJob:
    """Queue the three algorithms' solves on the call's candidates (`comparison.compare_algorithms`);
    nothing but the job's result is written."""
    return _start(call, MatchingJobKind.COMPARISON, user, {"reviewers_per_proposal": reviewers_per_proposal})


def _start(call, kind, user, parameters: dict) -> MatchingJob:
    require_worker(NAMES[kind])
    try:
        with transaction.atomic():
            job = MatchingJob.objects.create(call=call, kind=kind, created_by=user, parameters=parameters,
                                             total=STEPS[kind])
            record(AuditEventType.MATCHING_JOB_REQUESTED, job, actor=user, call=call, to_state=job.state,
                   kind=kind, parameters=parameters)
            transaction.on_commit(lambda: run_matching_job.delay(job.id))
    except IntegrityError:  # the partial unique constraint: one active job per call and kind
        raise DomainError(ALREADY_RUNNING.format(name=NAMES[kind])) from None
    return job


def cancel_job(job: MatchingJob, *, user) -> MatchingJob:
    """pending or running → cancelled. A running job stops at its next step and writes nothing."""
    with transaction.atomic():
        job = MatchingJob.objects.select_for_update(of=("self",)).select_related("call").get(pk=job.pk)
        if not job.is_active:
            raise DomainError(NOT_ACTIVE.format(state=job.state))
        before = job.state
        job.state, job.completed_at = State.CANCELLED, timezone.now()
        job.error_message = CANCELLED.format(name=user.full_name or user.username)
        job.save(update_fields=["state", "completed_at", "error_message", "modified"])
        record(AuditEventType.MATCHING_JOB_CANCELLED, job, actor=user, from_state=before, to_state=job.state,
               kind=job.kind, processed=job.processed, total=job.total)
    return job
