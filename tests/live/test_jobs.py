"""Long work never blocks a request (issue 10, item 7), on `referee serve` as `make run` starts it:
a conflict detection POST answers at once with the pending job, the embedded worker runs it in
the background, and the job reads pending → running (with growing progress) → completed; without
a worker the POST is refused instead of queueing a job nobody will run."""

import json
import shutil
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bench.burst import Scenario, letters
from tests.live.conftest import Embedded, referee, stopped
from tests.live.processes import Stack
from tests.live.test_matching_jobs import watch

pytestmark = pytest.mark.live
REVIEWERS, PROPOSALS = 100, 400
CALL_NAME = "Detection at scale"


def detection_call(now: datetime) -> dict:
    """A call of REVIEWERS accepted reviewers × PROPOSALS proposals; reviewer k sits on the team of
    proposal k (one ROLE_NAMED conflict each), and nothing else relates them."""
    reviewers = [{"username": f"det-r{k}", "first_name": "Rhea", "last_name": f"Detect {letters(k)}"}
                 for k in range(REVIEWERS)]
    applicants = [{"username": f"det-a{k}", "first_name": "Arno", "last_name": f"Apply {letters(k)}"}
                  for k in range(PROPOSALS // 10)]
    return {
        "version": 1,
        "users": reviewers + applicants,
        "call": {"slug": "detection-at-scale", "name": CALL_NAME, "state": "active",
                 "managers": [Scenario().staff]},
        "rounds": [{"slug": "only", "name": "Only round", "start_time": (now - timedelta(days=30)).isoformat(),
                    "cutoff_time": (now + timedelta(days=60)).isoformat()}],
        "proposals": [{"slug": f"det-{j}", "round": "only", "name": f"Detection proposal {j}", "state": "submitted",
                       "creator": f"det-a{j // 10}", "team": [f"det-r{j}"] if j < REVIEWERS else []}
                      for j in range(PROPOSALS)],
        "reviewers": [{"user": f"det-r{k}", "is_published": True} for k in range(REVIEWERS)],
        "pool": [{"reviewer": f"det-r{k}", "invitation_status": "accepted"} for k in range(REVIEWERS)],
    }


@pytest.fixture(scope="module")
def served_jobs(embedded_data, tmp_path_factory):
    """`referee serve` on the embedded data plus the detection call; the staff user's token."""
    var, tokens = embedded_data
    root = tmp_path_factory.mktemp("jobs")
    template = root / "template-var"
    shutil.copytree(var, template)
    data = root / "detection.json"
    data.write_text(json.dumps(detection_call(datetime.now(UTC))))
    referee(template, "import", str(data), "--no-progress")
    stack = Stack(root, {})
    yield Embedded(stack, (template, tokens)), tokens[Scenario().staff]
    stopped(stack)


def call_uuid(url: str, token: str) -> str:
    calls = httpx.get(f"{url}/api/proposal-protected-calls/", params={"page_size": 300},
                      headers={"Authorization": f"Token {token}"}, timeout=10).json()
    return next(c["uuid"] for c in calls if c["name"] == CALL_NAME)


def test_detection_answers_at_once_and_the_job_tells_its_true_progress(served_jobs):
    embedded, token = served_jobs
    # One reviewer per chunk: a hundred commits of progress, so the run is seen while it runs.
    server = embedded.start("serve-jobs", REFEREE_DETECTION_CHUNK_REVIEWERS="1")
    headers = {"Authorization": f"Token {token}"}
    call = call_uuid(server.url, token)
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
        started = time.monotonic()
        response = client.post(f"/api/proposal-protected-calls/{call}/detect-conflicts/", json={})
        answered_in, answered_at = time.monotonic() - started, datetime.now(UTC)
        assert response.status_code == 200, response.text
        posted = response.json()
        assert (posted["state"], posted["processed_pairs"]) == ("pending", 0)
        seen = [(posted["state"], posted["processed_pairs"], posted["total_pairs"])]
        deadline = time.monotonic() + 60
        while seen[-1][0] in ("pending", "running") and time.monotonic() < deadline:
            job = client.get(f"/api/coi-detection-jobs/{posted['uuid']}/").json()
            seen.append((job["state"], job["processed_pairs"], job["total_pairs"]))
    states = [state for state, _, _ in seen]
    print(f"POST answered in {answered_in:.3f}s; {len(seen)} reads: {seen[:3]} … {seen[-3:]}")
    assert states[-1] == "completed", seen
    order = {"pending": 0, "running": 1, "completed": 2}
    assert [order[s] for s in states] == sorted(order[s] for s in states), "states went backwards"
    total = REVIEWERS * PROPOSALS
    running = [(done, of) for state, done, of in seen if state == "running"]
    # Running reads total 0 while the worker loads the call (outside any transaction), then the total.
    totals = [of for _, of in running]
    assert running and set(totals) <= {0, total} and totals == sorted(totals), seen
    assert all(done == 0 for done, of in running if of == 0), seen
    assert any(0 < done < total for done, _ in running), "progress was never seen between 0 and the total"
    progress = [done for state, done, _ in seen if state != "pending"]
    assert progress == sorted(progress) and seen[-1][1:] == (total, total)
    assert job["conflicts_found"] == REVIEWERS and job["progress_percentage"] == 100.0
    # The run happened after the POST had answered, not inside it.
    assert datetime.fromisoformat(job["completed_at"]) > answered_at
    assert answered_in < 2.0


def test_without_a_worker_detection_is_refused_and_no_job_waits_for_ever(served_jobs):
    embedded, token = served_jobs
    server = embedded.start("serve-no-worker", worker=False)
    headers = {"Authorization": f"Token {token}"}
    call = call_uuid(server.url, token)
    response = httpx.post(f"{server.url}/api/proposal-protected-calls/{call}/detect-conflicts/", json={},
                          headers=headers, timeout=10)
    assert response.status_code == 503, response.text
    assert response.json()["detail"].startswith("Conflict detection was not started: no background worker is running")
    jobs = httpx.get(f"{server.url}/api/coi-detection-jobs/", params={"call_uuid": call}, headers=headers, timeout=10)
    assert jobs.json() == []


def test_on_referee_serve_the_embedded_worker_runs_an_affinity_job(served_jobs):
    """Issue 13: an affinity computation as a background job, on SQLite with the embedded worker."""
    embedded, token = served_jobs
    server = embedded.start("serve-matching-jobs")
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Token {token}"}, timeout=10) as client:
        call = call_uuid(server.url, token)
        response = client.post(f"/api/proposal-protected-calls/{call}/start-affinity-job/")
        assert response.status_code == 202, response.text
        assert response.json()["state"] == "pending"
        seen = watch(client, response.json()["uuid"])
    assert seen[-1]["state"] == "completed", seen
    assert (seen[-1]["processed"], seen[-1]["total"]) == (3, 3)
    assert seen[-1]["result"] == {"computed_count": REVIEWERS * PROPOSALS}
