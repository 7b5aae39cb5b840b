"""The stalled matching-job sweep (issue 13): a `running` job whose worker was lost, or a
`pending` one no worker started, is failed after REFEREE_MATCHING_JOB_STALL_MINUTES so that the
call's next job of its kind can start; a run that then reaches its next step writes nothing."""

from datetime import timedelta

import pytest
from django.test import override_settings

from referee.assignments import matching_runs
from referee.assignments import tasks as batch_tasks
from referee.assignments.jobs import (
    fail_stalled_matching_jobs,
    never_started_matching_job_message,
    stalled_matching_job_message,
)
from referee.assignments.matching_jobs import start_affinity_job
from referee.assignments.models import AffinityScore, MatchingJob
from referee.assignments.progress import Cancelled
from referee.core.errors import DomainError
from tests.helpers import NOW, events

pytestmark = pytest.mark.django_db
LIMIT = timedelta(minutes=15)


def job_at(call, state, beat, kind="affinities") -> MatchingJob:
    """A job of `state` whose last heartbeat (`modified`) was at `beat`."""
    job = MatchingJob.objects.create(call=call, kind=kind, state=state, started_at=beat, total=3, processed=1)
    MatchingJob.objects.filter(pk=job.pk).update(modified=beat)  # auto_now set it to the clock
    return job


def test_a_silent_running_job_is_failed_and_the_call_can_start_another(world, clock):
    job = job_at(world.call, "running", NOW - LIMIT - timedelta(microseconds=1))
    with pytest.raises(DomainError):
        start_affinity_job(world.call, user=world.manager)  # blocked by the lost job
    assert batch_tasks.fail_stalled_matching_jobs.delay().get() == 1
    job.refresh_from_db()
    assert (job.state, job.error_message, job.completed_at) == ("failed", stalled_matching_job_message(15), NOW)
    assert job.error_message == ("No progress for 15 minutes: the worker running this job was lost. Nothing was "
                                 "written; start the job again.")
    [event] = events("MATCHING_JOB_FAILED")
    assert (event.object_uuid, event.call, event.actor) == (job.uuid, world.call, None)
    assert (event.from_state, event.to_state, event.context["reason"]) == ("running", "failed", "stalled")
    assert start_affinity_job(world.call, user=world.manager).state == "pending"
    assert fail_stalled_matching_jobs() == 0


def test_a_pending_job_no_worker_started_is_failed_and_never_runs_after(world, clock):
    job = job_at(world.call, "pending", NOW - LIMIT - timedelta(microseconds=1), kind="generation")
    assert fail_stalled_matching_jobs() == 1
    job.refresh_from_db()
    assert (job.state, job.error_message) == ("failed", never_started_matching_job_message(15))
    assert events("MATCHING_JOB_FAILED")[0].context["reason"] == "never_started"
    assert matching_runs.run_job(job.id).state == "failed"  # a late delivery of its task does nothing


@pytest.mark.parametrize("state", ["running", "pending"])
def test_a_job_within_the_limit_is_left(world, clock, state):
    job = job_at(world.call, state, NOW - LIMIT)
    assert fail_stalled_matching_jobs() == 0
    job.refresh_from_db()
    assert job.state == state and not events("MATCHING_JOB_FAILED")


@pytest.mark.parametrize("state", ["completed", "failed", "cancelled"])
def test_only_active_jobs_are_swept(world, clock, state):
    job = job_at(world.call, state, NOW - timedelta(days=2))
    assert fail_stalled_matching_jobs() == 0
    job.refresh_from_db()
    assert job.state == state and job.error_message == ""


@override_settings(REFEREE_MATCHING_JOB_STALL_MINUTES=5)
def test_the_limit_is_a_setting(world, clock):
    job_at(world.call, "running", NOW - timedelta(minutes=6))
    assert fail_stalled_matching_jobs() == 1
    assert MatchingJob.objects.get().error_message == stalled_matching_job_message(5)


def test_a_run_whose_job_was_failed_meanwhile_stops_at_its_next_step_and_writes_nothing(world):
    job = job_at(world.call, "running", NOW)
    progress = matching_runs.JobProgress(job)
    MatchingJob.objects.filter(pk=job.pk).update(state="failed")  # the sweep's verdict
    for report in (lambda: progress.step("Scoring"), progress.check, lambda: progress.finish({"computed_count": 1})):
        with pytest.raises(Cancelled):
            report()
    job.refresh_from_db()
    assert (job.state, job.processed, job.result) == ("failed", 1, None)
    assert not AffinityScore.objects.exists()
