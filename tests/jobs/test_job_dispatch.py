"""Long work never blocks a request and never waits for nobody (issue 10, item 7).

A detection is handed to a background worker after commit and the POST answers at once; with no
worker running it is refused (503) instead of reading `pending` for ever; and the answer always
tells the job's true state. Workers say they run with a heartbeat row (referee.core.workers)."""

from datetime import timedelta

import pytest
from django.db import connection

from referee.conflicts import detection
from referee.conflicts.models import COIDetectionJob, ConflictOfInterest
from referee.core import workers
from referee.core.models import AuditEvent, WorkerHeartbeat
from tests.helpers import NOW, client_for

NO_WORKER = ("Conflict detection was not started: no background worker is running (none has reported in the "
             "last minute), so the job would never run. Ask your administrator to start one: `referee serve` "
             "starts it in the embedded default; with a broker of your own, run `celery -A referee.celery worker`.")


def detect(world):
    url = f"/api/proposal-protected-calls/{world.call.uuid.hex}/detect-conflicts/"
    return client_for(world.manager).post(url, {}, format="json")


@pytest.fixture
def served(settings):
    """As in a served process: tasks go to a broker, so a worker must be running to take them."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    return settings


@pytest.mark.django_db
class TestWorkerRequired:
    def test_without_a_worker_detection_is_refused_and_nothing_is_queued(self, world, served,
                                                                          django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks() as queued:
            response = detect(world)
        assert response.status_code == 503 and response.json() == {"detail": NO_WORKER}
        assert queued == [] and not COIDetectionJob.objects.exists()
        assert not AuditEvent.objects.filter(event_type="COI_DETECTION_REQUESTED").exists()

    def test_a_worker_heartbeat_lets_the_job_be_queued_pending(self, world, served, clock,
                                                               django_capture_on_commit_callbacks):
        workers.beat("worker-1@host")
        with django_capture_on_commit_callbacks() as queued:
            response = detect(world)
        assert response.status_code == 200 and len(queued) == 1  # handed to the broker after commit
        assert response.json()["state"] == "pending" and COIDetectionJob.objects.get().state == "pending"

    def test_a_heartbeat_older_than_a_minute_is_a_lost_worker(self, world, served, clock):
        workers.beat("worker-1@host")
        clock.move_to(NOW + timedelta(seconds=workers.ALIVE_SECONDS))
        assert workers.worker_running()
        clock.move_to(NOW + timedelta(seconds=workers.ALIVE_SECONDS, microseconds=1))
        assert not workers.worker_running() and detect(world).status_code == 503
        workers.beat("worker-2@host")  # another worker starts
        assert detect(world).status_code == 200

    def test_a_worker_stopping_warmly_removes_its_heartbeat(self, world, served, clock):
        workers.beat("worker-1@host")
        workers.beat("worker-1@host")  # one row per worker, moved forward
        assert WorkerHeartbeat.objects.get().seen_at == NOW
        workers.forget("worker-1@host")
        assert not WorkerHeartbeat.objects.exists() and detect(world).status_code == 503

    def test_tasks_run_in_process_need_no_worker(self, world):
        """The test suite's own process (eager tasks) runs the job itself."""
        assert workers.worker_running() and detect(world).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_answer_tells_the_state_the_job_is_in_when_the_post_answers(world):
    """Before: where the job ran right after commit (eager tasks), the POST still answered the
    `pending` job it had created although the job had completed."""
    world.proposal.team.add(world.reviewer)
    body = detect(world).json()
    job = COIDetectionJob.objects.get()
    assert (body["uuid"], body["state"], job.state) == (job.uuid.hex, "completed", "completed")
    assert (body["processed_pairs"], body["total_pairs"], body["progress_percentage"]) == (2, 2, 100.0)
    assert body["conflicts_found"] == 1 == ConflictOfInterest.objects.count()
    assert body["started_at"] and body["completed_at"]


@pytest.mark.django_db(transaction=True)
def test_a_run_reads_running_while_the_call_loads_and_holds_no_transaction_meanwhile(world):
    """Before: the call's people and papers were loaded inside the transaction that marked the job
    running, so the job read `pending` while a worker worked on it, and on SQLite every request
    that writes waited for the load (a transaction holds the one write lock)."""
    seen = []

    def watch(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("SELECT") and "reviewerpublication" in sql.lower():
            seen.append((connection.in_atomic_block, COIDetectionJob.objects.values_list("state", flat=True).get()))
        return execute(sql, params, many, context)

    job = COIDetectionJob.objects.create(call=world.call)
    with connection.execute_wrapper(watch):
        assert detection.run_detection(job.id).state == "completed"
    assert seen == [(False, "running")]
