"""What a worker runs for a matching job (issue 13; started by `matching_jobs`): the work of its
kind, with a `JobProgress` that writes each step to the job row.

A job can be cancelled until its work writes: the work checks between steps and writes its
result in one transaction, at whose end `JobProgress.finish` locks the job row and marks it
completed. A cancellation that comes first stops the work there and rolls that transaction back,
so nothing is written; one that comes later waits for the lock and finds the job completed."""

import json
import logging
import uuid

from django.db import transaction
from django.utils import timezone

from referee.assignments import affinities, comparison, generation
from referee.assignments.enums import MatchingJobKind
from referee.assignments.models import MatchingJob
from referee.assignments.progress import Cancelled, Progress
from referee.core.audit import record
from referee.core.enums import AuditEventType
from referee.core.errors import DomainError

logger = logging.getLogger(__name__)
State = MatchingJob.State

FAILED = "The job stopped on an unexpected error: {error}. Nothing was written; start it again."
AFFINITY_STEP = "Bringing the affinity scores up to date"
# Steps of each kind: `processed` counts them, and a completed job has done all of them. A
# generation's candidates, solve and write are one step: they share one transaction, whose
# progress no other connection could see before it commits.
STEPS = {MatchingJobKind.AFFINITIES: affinities.STEPS, MatchingJobKind.GENERATION: 2,
         MatchingJobKind.COMPARISON: comparison.STEPS}


def run_job(job_id: int) -> MatchingJob | None:
    """What the task runs: pending → running → completed (or failed; cancelled meanwhile stays)."""
    with transaction.atomic():
        job = (MatchingJob.objects.select_for_update(of=("self",)).select_related("call", "created_by")
               .filter(pk=job_id).first())
        if job is None or job.state != State.PENDING:
            return job  # deleted (with its call); cancelled or failed before it started; or a redelivered task
        job.state, job.started_at = State.RUNNING, timezone.now()
        job.save(update_fields=["state", "started_at", "modified"])
    progress = JobProgress(job)
    try:
        WORK[job.kind](job, progress)
    except Cancelled:
        logger.info("Matching job %s stopped: it was cancelled or failed meanwhile", job.uuid)
    except DomainError as refusal:  # a refusal in words (e.g. the call's assignments changed meanwhile)
        _fail(job, refusal.message)
    except Exception as exc:
        logger.exception("Matching job %s failed", job.uuid)
        _fail(job, FAILED.format(error=str(exc)[:1000] or type(exc).__name__))
    job.refresh_from_db()
    return job


def _compute_affinities(job, progress) -> None:
    affinities.compute_affinities(job.call, progress)


def _generate(job, progress) -> None:
    progress.step(AFFINITY_STEP)
    affinities.refresh_if_stale(job.call, AffinityStep(progress))
    parameters = job.parameters
    asked = parameters.get("proposal_uuids")
    generation.generate_assignments(
        job.call, user=job.created_by, dry_run=parameters.get("dry_run", True),
        proposal_uuids=None if asked is None else [uuid.UUID(key) for key in asked],
        reviewers_per_proposal=parameters.get("reviewers_per_proposal"), seed=parameters.get("seed"),
        progress=progress,
    )


def _compare(job, progress) -> None:
    comparison.compare_algorithms(job.call, reviewers_per_proposal=job.parameters.get("reviewers_per_proposal"),
                                  progress=progress)


WORK = {MatchingJobKind.AFFINITIES: _compute_affinities, MatchingJobKind.GENERATION: _generate,
        MatchingJobKind.COMPARISON: _compare}


def _fail(job, message: str) -> None:
    with transaction.atomic():
        failed = MatchingJob.objects.filter(pk=job.pk, state=State.RUNNING).update(
            state=State.FAILED, error_message=message, completed_at=timezone.now(), modified=timezone.now())
        if failed:
            record(AuditEventType.MATCHING_JOB_FAILED, job, from_state=State.RUNNING, to_state=State.FAILED,
                   kind=job.kind, reason="error", message=message)


class JobProgress(Progress):
    """A running job's progress, written to its row: each step at once (its `modified` is the
    heartbeat the stalled-job sweep reads), the result with the work's last transaction. Every
    write is conditional on `running`: a job cancelled or failed meanwhile stops the work."""

    def __init__(self, job: MatchingJob):
        self.job = job
        self.done = -1  # the first step starts with nothing done

    def step(self, stage: str) -> None:
        self.done += 1
        self._write(processed=self.done, stage=stage)

    def rename(self, stage: str) -> None:
        """Name what the current step is doing now, without counting a step."""
        self._write(stage=stage)

    def check(self) -> None:
        if MatchingJob.objects.filter(pk=self.job.pk).values_list("state", flat=True).get() != State.RUNNING:
            raise Cancelled

    def finish(self, result: dict) -> None:
        job = MatchingJob.objects.select_for_update(of=("self",)).get(pk=self.job.pk)
        if job.state != State.RUNNING:
            raise Cancelled
        now = timezone.now()
        MatchingJob.objects.filter(pk=job.pk).update(state=State.COMPLETED, processed=job.total, stage="",
                                                     result=_plain(result), completed_at=now, modified=now)

    def _write(self, **fields) -> None:
        if not MatchingJob.objects.filter(pk=self.job.pk, state=State.RUNNING).update(**fields,
                                                                                     modified=timezone.now()):
            raise Cancelled


def _plain(result: dict) -> dict:
    """The result as JSON holds it: numbers the engine computed with numpy become plain ones."""
    return json.loads(json.dumps(result, default=lambda value: value.item()))


class AffinityStep(Progress):
    """The affinities a generation brings up to date first, as one step of it: their steps name
    what the step is doing, and writing them does not finish the generation."""

    def __init__(self, job_progress: JobProgress):
        self.job_progress = job_progress

    def step(self, stage: str) -> None:
        self.job_progress.rename(f"{AFFINITY_STEP}: {stage[0].lower()}{stage[1:]}")

    def check(self) -> None:
        self.job_progress.check()

    def finish(self, result: dict) -> None:
        self.job_progress.check()
