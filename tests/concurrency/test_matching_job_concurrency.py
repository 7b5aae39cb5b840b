"""Matching jobs racing (issue 13) on PostgreSQL with real threads: two starts of one kind on a
call create one job, and a cancel racing the worker's run ends either cancelled with nothing
written or completed with the cancel refused, never cancelled with a written result."""

import threading
import time

import pytest

from referee.assignments import matching_runs
from referee.assignments.models import AffinityScore, AssignmentItem, MatchingJob, ProposedAssignment
from referee.calls.models import MatchingConfiguration
from referee.reviewers.models import ReviewerExpertise
from tests.concurrency.test_batch_concurrency import post
from tests.engine.test_generation import build_call
from tests.helpers import ROUNDS, TIMEOUT, client_for, race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]
ALREADY = {"affinities": "The affinity computation is already pending or running for this call.",
           "generation": "The generation of assignments is already pending or running for this call."}
START = {"affinities": "start-affinity-job", "generation": "start-generation-job"}


class ConfigurationLocked:
    """Another connection holds the call's MatchingConfiguration row lock until `release()`: a
    job's run (eager, in the request that started it) then waits before it writes, so it stays
    running while the other request tries to start its twin."""

    def __init__(self, call):
        self.call, self.locked, self.released = call, threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold)
        self.thread.start()
        assert self.locked.wait(TIMEOUT)

    def _hold(self):
        from django.db import connection, transaction

        try:
            with transaction.atomic():
                MatchingConfiguration.objects.select_for_update().get(call=self.call)
                self.locked.set()
                self.released.wait(TIMEOUT)
        finally:
            connection.close()

    def release(self):
        self.released.set()
        self.thread.join(TIMEOUT)


def first_then_all(*requests):
    """Run the requests at once; once the first has answered, `on_first()` may free the others.
    Returns (the first answer, every answer in order)."""
    results, done = [None] * len(requests), []

    def run(index, request):
        from django.db import connection

        try:
            results[index] = request()
        finally:
            done.append(index)
            connection.close()

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + TIMEOUT
    while not done and time.monotonic() < deadline:
        time.sleep(0.01)
    assert done, "no request answered"
    return results[done[0]], threads, results


def run_and_cancel(job, manager):
    """The worker's run of `job` and its manager's cancel request, to race."""
    client = client_for(manager)
    return (lambda: matching_runs.run_job(job.id),
            lambda: client.post(f"/api/matching-jobs/{job.uuid.hex}/cancel/"))


@pytest.mark.parametrize("kind", ["affinities", "generation"])
def test_two_starts_of_one_kind_create_one_job(world, kind):
    for _ in range(ROUNDS):
        path = f"/api/proposal-protected-calls/{world.call.uuid.hex}/{START[kind]}/"
        lock = ConfigurationLocked(world.call)
        try:
            first, threads, results = first_then_all(post(world.manager, path), post(world.staff, path))
            assert first.status_code == 400 and first.json() == {"detail": ALREADY[kind]}
        finally:
            lock.release()
        for thread in threads:
            thread.join(TIMEOUT)
        assert sorted(r.status_code for r in results) == [202, 400]
        job = MatchingJob.objects.get(state="completed", kind=kind)
        assert not MatchingJob.objects.exclude(pk=job.pk).exists()
        job.delete()


def test_starts_of_different_kinds_run_side_by_side(world):
    base = f"/api/proposal-protected-calls/{world.call.uuid.hex}/"
    responses = race(post(world.manager, base + "start-affinity-job/"),
                     post(world.manager, base + "start-generation-job/"))
    assert [r.status_code for r in responses] == [202, 202]
    assert set(MatchingJob.objects.values_list("kind", "state")) == {("affinities", "completed"),
                                                                     ("generation", "completed")}


def test_cancel_racing_an_affinity_run(world):
    ReviewerExpertise.objects.create(profile=world.profile, expertise_keyword="ocean", proficiency_level="expert")
    for _ in range(ROUNDS):
        AffinityScore.objects.all().delete()
        job = MatchingJob.objects.create(call=world.call, kind="affinities", total=3, created_by=world.manager)
        _, answer = race(*run_and_cancel(job, world.manager))
        job.refresh_from_db()
        written = AffinityScore.objects.exists()
        if answer.status_code == 200:
            assert job.state == "cancelled" and not written and job.result is None
        else:
            assert answer.json() == {"detail": "This job has already completed: only a pending or running job "
                                               "can be cancelled."}
            assert job.state == "completed" and written and job.result == {"computed_count": 2}


def test_cancel_racing_a_deployment():
    for _ in range(ROUNDS):
        w = build_call(3, 3, min_reviewers_per_proposal=2)
        job = MatchingJob.objects.create(call=w.call, kind="generation", total=2, created_by=w.manager,
                                         parameters={"dry_run": False})
        _, answer = race(*run_and_cancel(job, w.manager))
        job.refresh_from_db()
        items = AssignmentItem.objects.filter(batch__call=w.call).count()
        if answer.status_code == 200:
            assert job.state == "cancelled" and items == 0
            assert not ProposedAssignment.objects.filter(call=w.call).exists()
        else:
            assert answer.status_code == 400 and job.state == "completed" and items == 6
            assert job.result["items_created"] == 6
