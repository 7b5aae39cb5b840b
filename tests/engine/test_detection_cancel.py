"""Cancelling conflict detection (issue 13): `POST /api/coi-detection-jobs/{uuid}/cancel/`. A
pending job never runs; a running one stops before its next chunk of reviewers is saved, and the
conflicts its earlier chunks saved are kept (docs/decisions.md), as its message says."""

import threading

import pytest
from django.db import connection
from waldur_api_client.models import COIDetectionJob as ClientJob

from referee.conflicts.detection import run_detection
from referee.conflicts.detection_requests import cancel_detection
from referee.conflicts.models import COIDetectionJob, ConflictOfInterest
from referee.core.errors import DomainError
from tests import factories as f
from tests.helpers import as_role, client_for, events, role_matrix


def url(job):
    return f"/api/coi-detection-jobs/{job.uuid.hex}/cancel/"


@pytest.mark.django_db
class TestCancelEndpoint:
    @role_matrix({"anonymous": 401, "stranger": 404, "reviewer": 404, "other_manager": 404, "support": 403,
                  "manager": 200, "staff": 200})
    def test_roles(self, world, role, expected):
        job = COIDetectionJob.objects.create(call=world.call, state="running")
        response = as_role(world, role).post(url(job))
        assert response.status_code == expected, response.content
        job.refresh_from_db()
        assert job.state == ("cancelled" if expected == 200 else "running")

    def test_a_running_job_says_how_far_it_got_and_what_is_kept(self, world):
        job = COIDetectionJob.objects.create(call=world.call, state="running", total_pairs=10, processed_pairs=4,
                                             conflicts_found=1)
        body = client_for(world.manager).post(url(job)).json()
        assert ClientJob.from_dict(body).state.value == "cancelled"  # Waldur's client parses the answer
        assert body["state"] == "cancelled" and body["completed_at"] is not None
        assert body["error_message"] == (
            "Cancelled by Manager Tester after 4 of 10 reviewer × proposal pairs were checked. The conflicts "
            "found in them (1) are kept; the other pairs were not checked. Start a new detection to check every "
            "pair.")
        [event] = events("COI_DETECTION_CANCELLED")
        assert (event.actor, event.from_state, event.to_state, event.call) == (
            world.manager, "running", "cancelled", world.call)
        assert (event.context["processed_pairs"], event.context["conflicts_found"]) == (4, 1)
        # the call can be checked again at once
        detect = f"/api/proposal-protected-calls/{world.call.uuid.hex}/detect-conflicts/"
        assert client_for(world.manager).post(detect, {}, format="json").status_code == 200

    @pytest.mark.parametrize("state", ["completed", "failed", "cancelled"])
    def test_a_finished_job_is_400_in_words(self, world, state):
        job = COIDetectionJob.objects.create(call=world.call, state=state)
        response = client_for(world.manager).post(url(job))
        assert response.status_code == 400 and response.json() == {
            "detail": f"This detection job has already {state}: only a pending or running job can be cancelled."}
        assert not events("COI_DETECTION_CANCELLED")

    def test_a_cancelled_pending_job_never_runs(self, world):
        world.proposal.team.add(world.reviewer)
        job = COIDetectionJob.objects.create(call=world.call)
        cancel_detection(job, user=world.manager)
        assert run_detection(job.id).state == "cancelled"
        assert not ConflictOfInterest.objects.exists()
        with pytest.raises(DomainError, match="already cancelled"):
            cancel_detection(job, user=world.manager)


@pytest.mark.django_db(transaction=True)
def test_a_running_detection_stops_at_its_next_chunk_and_keeps_what_it_saved(world, settings):
    """The run (this connection) and the manager's cancel (another one) at once, one reviewer per
    chunk: cancelled while the second chunk is saved, the first chunk's conflict stays."""
    if connection.vendor != "postgresql":
        pytest.skip("a cancel from another connection while this one writes needs PostgreSQL")
    settings.REFEREE_DETECTION_CHUNK_REVIEWERS = 1
    second = f.user("second")
    f.pool_entry(world.call, f.profile(second))
    world.proposal.team.add(world.reviewer)
    world.proposal2.team.add(second)
    job = COIDetectionJob.objects.create(call=world.call)
    inserts = []

    def cancel():
        try:
            cancel_detection(job, user=world.manager)
        finally:
            connection.close()  # this thread's own

    def on_second_chunk(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "conflicts_conflictofinterest"'):
            inserts.append(sql)
            if len(inserts) == 2:
                thread = threading.Thread(target=cancel)
                thread.start()
                thread.join(30)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(on_second_chunk):
        ended = run_detection(job.id)
    assert len(inserts) == 2
    assert (ended.state, ended.total_pairs, ended.processed_pairs, ended.conflicts_found) == ("cancelled", 4, 2, 1)
    [kept] = ConflictOfInterest.objects.all()
    assert (kept.reviewer, kept.proposal) == (world.profile, world.proposal)
    assert ended.error_message.startswith("Cancelled by Manager Tester after 2 of 4 reviewer × proposal pairs")
