"""The algorithm comparison as a matching job (issue 13): started like the other kinds, one
active per call, its steps counted, each algorithm's figures as its result, cancellable, and
nothing but the job written."""

import pytest
from django.db import connection

from referee.assignments import matching_runs
from referee.assignments.candidates import INPUTS
from referee.assignments.comparison import READING, SOLVING, STEPS
from referee.assignments.matching_jobs import ALREADY_RUNNING, NAMES, cancel_job, start_comparison_job
from referee.assignments.models import AssignmentItem, GenerationPreview, MatchingJob, ProposedAssignment
from referee.core.errors import DomainError
from tests.engine.test_generation import build_call
from tests.engine.test_matching_jobs import cancelled_when, run_now
from tests.helpers import client_for, events

pytestmark = pytest.mark.django_db
FIGURES = {"algorithm", "total_affinity", "worst_off", "fifth_percentile", "pairs", "short_proposals", "seconds"}


def test_a_comparison_job_stores_each_algorithms_figures_and_writes_nothing_else():
    w = build_call(4, 3, min_reviewers_per_proposal=2)
    job = run_now(start_comparison_job, w.call, user=w.manager, reviewers_per_proposal=1)
    assert (job.kind, job.state, job.processed, job.total, job.stage) == ("comparison", "completed", STEPS, 5, "")
    assert job.parameters == {"reviewers_per_proposal": 1}
    assert [row["algorithm"] for row in job.result["algorithms"]] == ["minmax", "fairflow", "hungarian"]
    assert all(set(row) == FIGURES and row["pairs"] == 4 for row in job.result["algorithms"])
    assert (job.result["reviewers_per_proposal"], job.result["proposals"], job.result["reviewers"]) == (1, 4, 3)
    assert set(job.result["fingerprint"]) == set(INPUTS)
    assert job.result["without_rules"] is None  # the call has no diversity rules: its last step is skipped
    for model in (ProposedAssignment, GenerationPreview, AssignmentItem):
        assert not model.objects.exists(), model
    [requested] = events("MATCHING_JOB_REQUESTED")
    assert requested.context["kind"] == "comparison"


def test_the_api_lists_it_with_its_result(world):
    w = build_call(2, 2)
    job = run_now(start_comparison_job, w.call, user=w.manager)
    body = client_for(w.manager).get("/api/matching-jobs/", {"kind": "comparison"}).json()
    [listed] = body
    assert (listed["uuid"], listed["kind_display"]) == (job.uuid.hex, "Compare the algorithms")
    assert [row["algorithm"] for row in listed["result"]["algorithms"]] == ["minmax", "fairflow", "hungarian"]
    assert client_for(world.other_manager).get(f"/api/matching-jobs/{job.uuid.hex}/").status_code == 404


def test_one_active_comparison_per_call_and_a_generation_does_not_count(world):
    MatchingJob.objects.create(call=world.call, kind="generation", state="running")
    assert start_comparison_job(world.call, user=world.manager).state == "pending"
    with pytest.raises(DomainError, match=ALREADY_RUNNING.format(name=NAMES["comparison"])):
        start_comparison_job(world.call, user=world.manager)
    assert MatchingJob.objects.filter(kind="comparison").count() == 1


def test_a_cancelled_pending_comparison_never_runs(django_capture_on_commit_callbacks):
    w = build_call(2, 2)
    with django_capture_on_commit_callbacks() as queued:
        job = start_comparison_job(w.call, user=w.manager)
    cancel_job(job, user=w.manager)
    queued[0]()
    job.refresh_from_db()
    assert (job.state, job.started_at, job.result) == ("cancelled", None, None)


@pytest.mark.django_db(transaction=True)
def test_a_comparison_cancelled_while_solving_stops_there_without_a_result():
    if connection.vendor != "postgresql":
        pytest.skip("a cancel from another connection while this one runs needs PostgreSQL")
    w = build_call(3, 3, min_reviewers_per_proposal=1)
    job = MatchingJob.objects.create(call=w.call, kind="comparison", total=STEPS, created_by=w.manager)
    # Cancelled when the first solve first asks whether to stop: the run stops there.
    wrapper, fired = cancelled_when(job, w.manager, 'SELECT "assignments_matchingjob"."state"')
    with connection.execute_wrapper(wrapper):
        ended = matching_runs.run_job(job.id)
    assert fired and ended.state == "cancelled" and ended.result is None
    assert ended.processed < STEPS and ended.stage in [READING] + [SOLVING.format(algorithm="minmax")]
