"""Matching jobs (issue 13): computing affinities and generating assignments in a background
worker, with their steps counted, one active job per call and kind, and a cancel that stops the
work before it writes. Runs here are the task's own code, run after commit (eager tasks)."""

import threading

import numpy as np
import pytest
from django.db import connection
from django.test import TestCase

from referee.assignments import matching_runs
from referee.assignments.engine_serializers import GenerateAssignmentsResponseSerializer
from referee.assignments.matching_jobs import (
    ALREADY_RUNNING,
    NAMES,
    NOT_ACTIVE,
    cancel_job,
    start_affinity_job,
    start_generation_job,
)
from referee.assignments.models import (
    AffinityScore,
    AssignmentBatch,
    AssignmentItem,
    GenerationPreview,
    MatchingJob,
    ProposedAssignment,
)
from referee.calls.models import MatchingConfiguration
from referee.core.errors import DomainError
from referee.reviewers.models import ReviewerExpertise
from tests import factories as f
from tests.engine.test_generation import build_call
from tests.helpers import client_for, events

pytestmark = pytest.mark.django_db
AFFINITY_ALREADY = "The affinity computation is already pending or running for this call."


@pytest.fixture
def scored(world):
    ReviewerExpertise.objects.create(profile=world.profile, expertise_keyword="ocean circulation",
                                     proficiency_level="expert")
    world.proposal.name = "Ocean circulation under warming"
    world.proposal.save()
    return world


def run_now(start, *args, **kwargs) -> MatchingJob:
    """Start a job and let its task run after commit, as a worker would; the job as it ended."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        job = start(*args, **kwargs)
    job.refresh_from_db()
    return job


class TestAffinityJob:
    def test_runs_every_step_and_stores_the_scores(self, scored):
        job = run_now(start_affinity_job, scored.call, user=scored.manager)
        assert (job.kind, job.state, job.processed, job.total, job.progress_percentage) == (
            "affinities", "completed", 3, 3, 100.0)
        assert job.result == {"computed_count": 2} and job.stage == "" and job.error_message == ""
        assert job.started_at <= job.completed_at and job.created_by == scored.manager
        assert AffinityScore.objects.filter(call=scored.call).count() == 2
        [requested] = events("MATCHING_JOB_REQUESTED")
        assert (requested.object_uuid, requested.actor, requested.call) == (job.uuid, scored.manager, scored.call)
        assert (requested.to_state, requested.context["kind"]) == ("pending", "affinities")

    def test_starting_creates_a_pending_job_with_its_steps(self, scored, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks() as queued:
            job = start_affinity_job(scored.call, user=scored.manager)
        assert len(queued) == 1  # the task, handed over after commit
        assert (job.state, job.processed, job.total, job.started_at, job.result) == ("pending", 0, 3, None, None)


class TestGenerationJob:
    def test_a_preview_by_default(self):
        w = build_call(3, 3, min_reviewers_per_proposal=2)
        job = run_now(start_generation_job, w.call, user=w.manager)
        assert (job.state, job.processed, job.total) == ("completed", 2, 2)
        assert job.parameters == {"dry_run": True, "proposal_uuids": None, "reviewers_per_proposal": None}
        preview = GenerationPreview.objects.get(call=w.call)
        assert job.result["preview_uuid"] == preview.uuid.hex
        assert (job.result["items_created"], job.result["proposals_processed"]) == (6, 3)
        assert ProposedAssignment.objects.filter(call=w.call, is_deployed=False).count() == 6
        assert not AssignmentItem.objects.exists()

    def test_a_deployment_with_its_parameters(self):
        w = build_call(3, 3, min_reviewers_per_proposal=2)
        job = run_now(start_generation_job, w.call, user=w.manager, dry_run=False,
                      proposal_uuids=[w.proposals[0].uuid], reviewers_per_proposal=1)
        assert job.parameters == {"dry_run": False, "proposal_uuids": [w.proposals[0].uuid.hex],
                                  "reviewers_per_proposal": 1}
        assert job.state == "completed" and job.result["preview_uuid"] is None
        assert (job.result["proposals_processed"], job.result["items_created"]) == (1, 1)
        item = AssignmentItem.objects.get()
        assert item.proposal == w.proposals[0] and item.batch.created_by == w.manager
        [generated] = events("ASSIGNMENTS_GENERATED")
        assert generated.actor == w.manager

    def test_its_result_reads_as_generate_assignments_answer(self):
        w = build_call(2, 2)
        job = run_now(start_generation_job, w.call, user=w.manager)
        body = client_for(w.manager).get(f"/api/matching-jobs/{job.uuid.hex}/").json()
        assert set(body["result"]) == set(GenerateAssignmentsResponseSerializer().fields)
        assert body["result"]["preview_uuid"] == GenerationPreview.objects.get().uuid.hex

    def test_numbers_computed_with_numpy_are_stored_as_plain_json(self, world):
        job = MatchingJob.objects.create(call=world.call, kind="affinities", state="running", total=3)
        matching_runs.JobProgress(job).finish({"computed_count": np.int64(4), "share": np.float32(0.5)})
        job.refresh_from_db()
        assert (job.state, job.processed, job.result) == ("completed", 3, {"computed_count": 4, "share": 0.5})

    def test_an_error_fails_the_job_in_words_and_writes_nothing(self):
        w = build_call(2, 2)
        MatchingConfiguration.objects.filter(call=w.call).update(algorithm="bogus")
        job = run_now(start_generation_job, w.call, user=w.manager, dry_run=False)
        assert job.state == "failed" and job.completed_at is not None
        assert job.error_message.startswith("The job stopped on an unexpected error: unknown algorithm 'bogus'")
        assert job.error_message.endswith("Nothing was written; start it again.")
        assert not ProposedAssignment.objects.exists() and not AssignmentBatch.objects.exists()
        [failed] = events("MATCHING_JOB_FAILED")
        assert (failed.from_state, failed.to_state, failed.context["reason"]) == ("running", "failed", "error")


class TestOneActiveJobPerCallAndKind:
    @pytest.mark.parametrize("state", ["pending", "running"])
    def test_an_active_job_refuses_another_of_its_kind(self, world, state):
        MatchingJob.objects.create(call=world.call, kind="affinities", state=state)
        with pytest.raises(DomainError, match=AFFINITY_ALREADY):
            start_affinity_job(world.call, user=world.manager)
        assert MatchingJob.objects.count() == 1 and not events("MATCHING_JOB_REQUESTED")

    def test_other_kinds_calls_and_finished_jobs_do_not_count(self, world):
        MatchingJob.objects.create(call=world.call, kind="generation", state="running")
        MatchingJob.objects.create(call=world.other_call, kind="affinities", state="running")
        for state in ("completed", "failed", "cancelled"):
            MatchingJob.objects.create(call=world.call, kind="affinities", state=state)
        assert start_affinity_job(world.call, user=world.manager).state == "pending"
        with pytest.raises(DomainError, match=ALREADY_RUNNING.format(name=NAMES["generation"])):
            start_generation_job(world.call, user=world.manager)


class TestCancel:
    def test_a_pending_job_is_cancelled_and_its_task_then_does_nothing(self, scored,
                                                                        django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks() as queued:
            job = start_affinity_job(scored.call, user=scored.manager)
        cancelled = cancel_job(job, user=scored.manager)
        assert (cancelled.state, cancelled.error_message) == (
            "cancelled", "Cancelled by Manager Tester before anything was written.")
        queued[0]()  # the task arrives late
        job.refresh_from_db()
        assert (job.state, job.started_at, job.processed) == ("cancelled", None, 0)
        assert not AffinityScore.objects.exists()
        [event] = events("MATCHING_JOB_CANCELLED")
        assert (event.actor, event.from_state, event.to_state, event.call) == (
            scored.manager, "pending", "cancelled", scored.call)

    def test_the_task_of_a_deleted_job_does_nothing(self, world):
        job = MatchingJob.objects.create(call=world.call, kind="affinities")
        job.delete()
        assert matching_runs.run_job(job.id) is None

    @pytest.mark.parametrize("state", ["completed", "failed", "cancelled"])
    def test_a_finished_job_is_refused_in_words(self, world, state):
        job = MatchingJob.objects.create(call=world.call, kind="generation", state=state)
        with pytest.raises(DomainError) as refused:
            cancel_job(job, user=world.manager)
        assert refused.value.message == NOT_ACTIVE.format(state=state)
        assert refused.value.message == (
            f"This job has already {state}: only a pending or running job can be cancelled.")
        job.refresh_from_db()
        assert job.state == state and not events("MATCHING_JOB_CANCELLED")


def cancel_elsewhere(job, user) -> None:
    """Cancel `job` from another connection, committed before this returns (as a manager's
    request would while the worker runs)."""
    def cancel():
        try:
            cancel_job(job, user=user)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=cancel)
    thread.start()
    thread.join(30)
    assert not thread.is_alive()


def cancelled_when(job, user, fragment: str):
    """An execute wrapper that cancels `job` elsewhere just before the first statement
    containing `fragment` runs in this connection."""
    fired = []

    def wrapper(execute, sql, params, many, context):
        if not fired and fragment in sql:
            fired.append(sql)
            cancel_elsewhere(job, user)
        return execute(sql, params, many, context)

    return wrapper, fired


@pytest.mark.django_db(transaction=True)
class TestCancelWhileRunning:
    """The worker's run and the manager's cancel on two connections (PostgreSQL's row locks)."""

    @pytest.fixture(autouse=True)
    def _postgresql(self):
        if connection.vendor != "postgresql":
            pytest.skip("a cancel from another connection while this one writes needs PostgreSQL")

    def test_cancelled_while_loading_it_stops_at_the_next_step(self, scored):
        job = MatchingJob.objects.create(call=scored.call, kind="affinities", total=3, created_by=scored.manager)
        wrapper, fired = cancelled_when(job, scored.manager, "reviewerpublication")
        with connection.execute_wrapper(wrapper):
            ended = matching_runs.run_job(job.id)
        assert fired and (ended.state, ended.processed) == ("cancelled", 0)  # stopped before scoring
        assert not AffinityScore.objects.exists()

    def test_cancelled_while_writing_the_scores_keeps_the_old_ones(self, scored):
        first = run_now(start_affinity_job, scored.call, user=scored.manager)
        before = set(AffinityScore.objects.values_list("uuid", "affinity_score"))
        job = MatchingJob.objects.create(call=scored.call, kind="affinities", total=3, created_by=scored.manager)
        wrapper, fired = cancelled_when(job, scored.manager, 'DELETE FROM "assignments_affinityscore"')
        with connection.execute_wrapper(wrapper):
            ended = matching_runs.run_job(job.id)
        assert fired and first.state == "completed"
        assert (ended.state, ended.result) == ("cancelled", None)
        assert set(AffinityScore.objects.values_list("uuid", "affinity_score")) == before  # rolled back

    def test_a_generation_cancelled_while_writing_leaves_nothing(self):
        w = build_call(3, 3, min_reviewers_per_proposal=2)
        job = MatchingJob.objects.create(call=w.call, kind="generation", total=2, created_by=w.manager,
                                         parameters={"dry_run": False})
        wrapper, fired = cancelled_when(job, w.manager, 'INSERT INTO "assignments_proposedassignment"')
        with connection.execute_wrapper(wrapper):
            ended = matching_runs.run_job(job.id)
        assert fired and (ended.state, ended.processed, ended.result) == ("cancelled", 1, None)
        for model in (ProposedAssignment, GenerationPreview, AssignmentBatch, AssignmentItem):
            assert not model.objects.exists(), model
        assert not events("ASSIGNMENTS_GENERATED")


def test_a_generation_brings_a_stale_affinity_cache_up_to_date_first(scored):
    job = run_now(start_generation_job, scored.call, user=scored.manager)
    assert job.state == "completed" and AffinityScore.objects.filter(call=scored.call).count() == 2
    assert job.result["proposals_processed"] == 2
    f.proposal(scored.round, created_by=scored.applicant)  # the cache is stale again
    job = run_now(start_generation_job, scored.call, user=scored.manager)
    assert job.state == "completed" and AffinityScore.objects.filter(call=scored.call).count() == 3


@pytest.mark.django_db(transaction=True)
def test_each_step_is_committed_as_the_run_goes(scored):
    """What another connection reads while the job runs: processed growing step by step."""
    job = MatchingJob.objects.create(call=scored.call, kind="affinities", total=3, created_by=scored.manager)
    seen = []

    def watch(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith('UPDATE "assignments_matchingjob"') and not connection.in_atomic_block:
            seen.append(MatchingJob.objects.values_list("state", "processed", "stage").get(pk=job.pk))
        return result

    with connection.execute_wrapper(watch):
        matching_runs.run_job(job.id)
    assert seen == [("running", 0, "Loading the proposals' and reviewers' texts"),
                    ("running", 1, "Scoring 2 proposals × 1 reviewers"), ("running", 2, "Writing 2 scores")]
    job.refresh_from_db()
    assert (job.state, job.processed, job.stage) == ("completed", 3, "")
