"""Matching jobs in the production topology (issue 13): gunicorn and a separate Celery worker on
PostgreSQL and Redis. Starting a job answers 202 at once; the worker runs it while its progress
is read over HTTP, step after step up to the total; a cancelled job leaves nothing written; the
comparison of the algorithms runs there too and writes nothing but its job. (On
`referee serve`, the embedded default: tests/live/test_jobs.py.)"""

import time

import httpx
import pytest

from bench.bench_generation import build_call
from referee.assignments.models import AffinityScore, AssignmentItem, MatchingJob, ProposedAssignment
from referee.core.accounts import token_for
from tests.live.processes import wait_until

pytestmark = pytest.mark.live
PROPOSALS, REVIEWERS, PUBLICATIONS = 1500, 300, 10  # some seconds of scoring: the run can be watched


def watch(client, job_uuid: str, until=("completed", "failed", "cancelled"), timeout=120) -> list[dict]:
    """Every distinct (state, processed, stage) read of the job until it reaches one of `until`."""
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/matching-jobs/{job_uuid}/").json()
        row = {key: body[key] for key in ("state", "processed", "total", "stage", "result", "error_message")}
        if not seen or seen[-1] != row:
            seen.append(row)
        if row["state"] in until:
            return seen
        time.sleep(0.02)
    pytest.fail(f"the job never reached {until}: {seen}")


@pytest.fixture
def served(stack):
    web, _ = stack.web(wait=False), stack.worker(wait=False)
    call, manager, _ = build_call(PROPOSALS, REVIEWERS, PUBLICATIONS, seed=0, threshold=0.1)
    stack.wait_ready()
    client = httpx.Client(base_url=web.url, headers={"Authorization": f"Token {token_for(manager)}"}, timeout=10)
    yield client, call, stack
    client.close()


def test_an_affinity_job_answers_at_once_and_its_progress_grows_to_the_total(served):
    client, call, _ = served
    started = time.monotonic()
    response = client.post(f"/api/proposal-protected-calls/{call.uuid.hex}/start-affinity-job/")
    answered_in = time.monotonic() - started
    assert response.status_code == 202, response.text
    assert response.json()["state"] == "pending" and answered_in < 2.0
    seen = watch(client, response.json()["uuid"])
    print(f"answered in {answered_in:.3f}s; reads: {seen}")
    assert seen[-1]["state"] == "completed", seen
    assert (seen[-1]["processed"], seen[-1]["total"], seen[-1]["stage"]) == (3, 3, "")
    assert seen[-1]["result"] == {"computed_count": PROPOSALS * REVIEWERS}
    order = {"pending": 0, "running": 1, "completed": 2}
    assert [order[row["state"]] for row in seen] == sorted(order[row["state"]] for row in seen), seen
    processed = [row["processed"] for row in seen]
    assert processed == sorted(processed), "progress went backwards"
    running = [row for row in seen if row["state"] == "running"]
    assert any(row["processed"] > 0 for row in running), f"no step was seen done while it ran: {seen}"
    assert any(row["stage"].startswith("Scoring") for row in running), seen
    assert AffinityScore.objects.filter(call=call).count() == PROPOSALS * REVIEWERS


def test_a_deployment_cancelled_while_it_scores_writes_nothing(served):
    client, call, stack = served
    response = client.post(f"/api/proposal-protected-calls/{call.uuid.hex}/start-generation-job/",
                           json={"dry_run": False})
    assert response.status_code == 202, response.text
    job = response.json()["uuid"]
    seen = watch(client, job, until=("running", "completed", "failed"))
    assert seen[-1]["state"] == "running", seen  # the cache is cold: it scores for seconds first
    cancelled = client.post(f"/api/matching-jobs/{job}/cancel/")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "cancelled"
    worker = next(process for process in stack.processes if process.name == "worker")
    worker.wait_for_output("stopped: it was cancelled")  # the run noticed at its next step
    stored = MatchingJob.objects.get(uuid=job)
    assert (stored.state, stored.result) == ("cancelled", None)
    assert not AssignmentItem.objects.exists() and not ProposedAssignment.objects.exists()
    assert not AffinityScore.objects.filter(call=call).exists()  # stopped before it wrote the scores too
    # The call can run the next one at once, and it completes.
    again = client.post(f"/api/proposal-protected-calls/{call.uuid.hex}/start-generation-job/", json={})
    assert again.status_code == 202, again.text
    wait_until(lambda: MatchingJob.objects.get(uuid=again.json()["uuid"]).state == "completed", 120,
               what="the next generation to complete")
    assert ProposedAssignment.objects.filter(call=call, is_deployed=False).exists()
    # The three algorithms compared on the worker: each one's figures, and nothing else written.
    previews = set(ProposedAssignment.objects.values_list("id", flat=True))
    compared = client.post(f"/api/proposal-protected-calls/{call.uuid.hex}/start-comparison-job/", json={})
    assert compared.status_code == 202, compared.text
    seen = watch(client, compared.json()["uuid"], timeout=300)
    assert seen[-1]["state"] == "completed", seen
    assert seen[-1]["processed"] == seen[-1]["total"] > 0
    figures = {row["algorithm"]: row for row in seen[-1]["result"]["algorithms"]}
    assert set(figures) == {"minmax", "fairflow", "hungarian"}
    assert all(row["pairs"] > 0 and row["total_affinity"] > 0 for row in figures.values()), figures
    assert set(ProposedAssignment.objects.values_list("id", flat=True)) == previews
    assert not AssignmentItem.objects.exists()
