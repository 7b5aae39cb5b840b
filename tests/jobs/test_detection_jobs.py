"""The stalled detection sweep: a `running` job whose worker was lost (no heartbeat for
REFEREE_DETECTION_STALL_MINUTES), or a `pending` one no worker started as long, is failed, so
that the call can be checked again; a run whose job was failed under it stops without writing
its chunk."""

from datetime import timedelta

import pytest
from django.test import override_settings

from referee.conflicts import detection
from referee.conflicts import tasks as coi_tasks
from referee.conflicts.jobs import fail_stalled_detection_jobs, never_started_message, stalled_message
from referee.conflicts.models import COIDetectionJob, ConflictOfInterest
from tests.helpers import NOW, client_for, events

pytestmark = pytest.mark.django_db
LIMIT = timedelta(minutes=15)


def job_at(call, state, beat) -> COIDetectionJob:
    """A job of `state` whose last heartbeat (`modified`) was at `beat`."""
    job = COIDetectionJob.objects.create(call=call, state=state, started_at=beat, total_pairs=10, processed_pairs=4)
    COIDetectionJob.objects.filter(pk=job.pk).update(modified=beat)  # auto_now set it to the clock
    return job


def detect(world):
    url = f"/api/proposal-protected-calls/{world.call.uuid.hex}/detect-conflicts/"
    return client_for(world.manager).post(url, {}, format="json")


def test_a_silent_running_job_is_failed_and_the_call_can_be_checked_again(world, clock):
    job = job_at(world.call, "running", NOW - LIMIT - timedelta(microseconds=1))
    assert detect(world).status_code == 400  # blocked by the lost job
    assert coi_tasks.fail_stalled_detection_jobs.delay().get() == 1
    job.refresh_from_db()
    assert (job.state, job.error_message, job.completed_at) == ("failed", stalled_message(15), NOW)
    assert (job.processed_pairs, job.total_pairs) == (4, 10)  # progress so far stays visible
    [event] = events("COI_DETECTION_FAILED")
    assert (event.object_uuid, event.call, event.actor) == (job.uuid, world.call, None)
    assert (event.from_state, event.to_state, event.context["reason"]) == ("running", "failed", "stalled")
    assert detect(world).status_code == 200
    assert fail_stalled_detection_jobs() == 0


def test_a_job_that_beat_within_the_limit_is_left_running(world, clock):
    job = job_at(world.call, "running", NOW - LIMIT)
    assert fail_stalled_detection_jobs() == 0
    job.refresh_from_db()
    assert job.state == "running" and not events("COI_DETECTION_FAILED")


def test_a_pending_job_no_worker_started_is_failed_and_never_runs_after(world, clock):
    """Issue 10: a queued task the broker lost left its job `pending` for ever, blocking the call."""
    job = job_at(world.call, "pending", NOW - LIMIT - timedelta(microseconds=1))
    assert fail_stalled_detection_jobs() == 1
    job.refresh_from_db()
    assert (job.state, job.error_message, job.completed_at) == ("failed", never_started_message(15), NOW)
    [event] = events("COI_DETECTION_FAILED")
    assert (event.from_state, event.to_state, event.context["reason"]) == ("pending", "failed", "never_started")
    assert detection.run_detection(job.id).state == "failed"  # a late delivery of its task does nothing
    assert detect(world).status_code == 200


def test_a_pending_job_within_the_limit_waits(world, clock):
    job = job_at(world.call, "pending", NOW - LIMIT)
    assert fail_stalled_detection_jobs() == 0
    job.refresh_from_db()
    assert job.state == "pending" and job.error_message == ""


@pytest.mark.parametrize("state", ["completed", "failed"])
def test_only_active_jobs_are_swept(world, clock, state):
    job = job_at(world.call, state, NOW - timedelta(days=2))
    assert fail_stalled_detection_jobs() == 0
    job.refresh_from_db()
    assert job.state == state and job.error_message == ""


@override_settings(REFEREE_DETECTION_STALL_MINUTES=5)
def test_the_limit_is_a_setting(world, clock):
    job_at(world.call, "running", NOW - timedelta(minutes=6))
    assert fail_stalled_detection_jobs() == 1
    assert COIDetectionJob.objects.get().error_message == stalled_message(5)


def test_a_run_whose_job_was_failed_meanwhile_stops_and_keeps_nothing_of_its_chunk(world):
    job = job_at(world.call, "running", NOW)
    COIDetectionJob.objects.filter(pk=job.pk).update(state="failed")  # the sweep's verdict
    finding = ConflictOfInterest(call=world.call, reviewer=world.profile, proposal=world.proposal,
                                 coi_type="ROLE_NAMED", severity="real", detection_method="automated",
                                 evidence_description="named on the team", rule="recusal_required")
    with pytest.raises(detection.Abandoned):
        detection._save_chunk(job, [finding], processed=2, describe=lambda new: {})
    job.refresh_from_db()
    assert (job.state, job.processed_pairs, job.conflicts_found) == ("failed", 4, 0)
    assert not ConflictOfInterest.objects.exists()
