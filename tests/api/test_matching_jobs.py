"""`/api/matching-jobs/` and the call actions `start-affinity-job/`, `start-generation-job/` and `start-comparison-job/`
(issue 13): who sees, starts and cancels a job, and what each answer says. Tasks queued after
commit do not run here (the test's transaction never commits), so started jobs stay pending."""

import pytest
import yaml
from django.core.management import call_command

from referee.assignments.models import MatchingJob
from referee.core.models import AuditEvent, WorkerHeartbeat
from tests import factories as f
from tests.helpers import (
    ROLES,
    as_role,
    assert_constant_queries,
    assert_read_only,
    assert_visible,
    client_for,
    role_matrix,
    role_user,
)

pytestmark = pytest.mark.django_db
LIST = "/api/matching-jobs/"
START = {"affinities": "start-affinity-job", "generation": "start-generation-job",
         "comparison": "start-comparison-job"}
WRITE_STATUS = {"anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 403, "support": 403,
                "manager": 202, "staff": 202}


def url(job):
    return f"{LIST}{job.uuid.hex}/"


def start_url(call, kind):
    return f"/api/proposal-protected-calls/{call.uuid.hex}/{START[kind]}/"


def job(call, **kwargs):
    kwargs.setdefault("kind", "affinities")
    kwargs.setdefault("state", "completed")
    return MatchingJob.objects.create(call=call, **kwargs)


class TestReads:
    @role_matrix({"anonymous": set(), "stranger": set(), "reviewer": set(), "other_manager": {"foreign"},
                  "manager": {"own"}, "support": {"own", "foreign"}, "staff": {"own", "foreign"}})
    def test_visibility(self, world, role, expected):
        jobs = {"own": job(world.call), "foreign": job(world.other_call)}
        assert_visible(as_role(world, role), role, LIST, jobs, expected, url)

    def test_detail(self, world):
        running = job(world.call, kind="generation", state="running", processed=1, total=2, created_by=world.manager,
                      stage="Choosing the assignments: candidates, solve, write", parameters={"dry_run": True})
        body = client_for(world.manager).get(url(running)).json()
        assert body["url"] == f"http://testserver{url(running)}"
        assert body["call"] == f"http://testserver/api/proposal-protected-calls/{world.call.uuid.hex}/"
        assert (body["uuid"], body["call_uuid"], body["call_name"]) == (running.uuid.hex, world.call.uuid.hex,
                                                                       world.call.name)
        assert (body["kind"], body["kind_display"], body["state"]) == ("generation", "Generate assignments", "running")
        assert (body["processed"], body["total"], body["progress_percentage"]) == (1, 2, 50.0)
        assert body["stage"] == "Choosing the assignments: candidates, solve, write"
        assert (body["parameters"], body["result"], body["error_message"]) == ({"dry_run": True}, None, "")
        assert body["created_by_name"] == world.manager.full_name and body["created_by"].endswith(
            f"/api/users/{world.manager.uuid.hex}/")
        assert body["completed_at"] is None and body["created"].endswith("Z")

    @pytest.mark.parametrize("role", ROLES)
    def test_no_writes_but_cancel(self, world, role):
        assert_read_only(client_for(role_user(world, role)), role, LIST, url(job(world.call)),
                         create={"call": world.call.uuid.hex}, change={"state": "failed"})

    def test_filters_and_ordering(self, world):
        a = job(world.call)
        b = job(world.call, kind="generation", state="failed")
        c = job(world.other_call, state="pending")
        client = client_for(world.staff)

        def uuids(**params):
            response = client.get(LIST, params)
            assert response.status_code == 200, response.content
            return [row["uuid"] for row in response.json()]

        a, b, c = a.uuid.hex, b.uuid.hex, c.uuid.hex
        assert uuids() == [c, b, a]
        assert set(uuids(call_uuid=world.call.uuid.hex)) == {a, b}
        assert uuids(kind="generation") == [b]
        assert set(uuids(state=["pending", "failed"])) == {b, c}
        assert uuids(o="created") == [a, b, c]
        for param, value in (("call_uuid", "x"), ("kind", "detection"), ("state", "done"), ("o", "call")):
            response = client.get(LIST, {param: value})
            assert response.status_code == 400 and param in response.json()

    def test_query_count_is_constant(self, world):
        job(world.call, created_by=world.manager)
        assert_constant_queries(client_for(world.manager), LIST, lambda: [
            job(f.call(managers=[world.manager]), created_by=f.user()) for _ in range(5)])


class TestStart:
    @pytest.mark.parametrize("kind", list(START))
    @role_matrix(WRITE_STATUS)
    def test_roles(self, world, kind, role, expected):
        response = as_role(world, role).post(start_url(world.call, kind), {}, format="json")
        assert response.status_code == expected, response.content
        assert MatchingJob.objects.exists() is (expected == 202)

    def test_affinity_job_answers_202_with_the_pending_job(self, world):
        response = client_for(world.manager).post(start_url(world.call, "affinities"))
        assert response.status_code == 202
        created = MatchingJob.objects.get()
        body = response.json()
        assert (body["uuid"], body["kind"], body["state"]) == (created.uuid.hex, "affinities", "pending")
        assert (body["processed"], body["total"], body["progress_percentage"]) == (0, 3, 0.0)
        assert (created.created_by, created.call) == (world.manager, world.call)
        assert AuditEvent.objects.get(event_type="MATCHING_JOB_REQUESTED").object_uuid == created.uuid

    def test_generation_job_takes_generate_assignments_body_and_previews_by_default(self, world):
        client = client_for(world.manager)
        body = client.post(start_url(world.call, "generation"), {"reviewers_per_proposal": 2}, format="json").json()
        assert body["parameters"] == {"dry_run": True, "proposal_uuids": None, "reviewers_per_proposal": 2}
        MatchingJob.objects.update(state="completed")
        asked = {"dry_run": False, "proposal_uuids": [world.proposal.uuid.hex]}
        body = client.post(start_url(world.call, "generation"), asked, format="json").json()
        assert body["parameters"] == {"dry_run": False, "proposal_uuids": [world.proposal.uuid.hex],
                                      "reviewers_per_proposal": None}

    @pytest.mark.parametrize(("body", "field"), [
        ({"reviewers_per_proposal": 99}, "reviewers_per_proposal"),
        ({"reviewers_per_proposal": 6}, "reviewers_per_proposal"),  # above the call's maximum (5)
        ({"proposal_uuids": ["nope"]}, "proposal_uuids"),
        ({"dry_run": "perhaps"}, "dry_run"),
    ])
    def test_bad_generation_body_is_400_naming_the_field(self, world, body, field):
        world.call.matching_config.max_reviewers_per_proposal = 5
        world.call.matching_config.save()
        response = client_for(world.manager).post(start_url(world.call, "generation"), body, format="json")
        assert response.status_code == 400 and list(response.json()) == [field]
        assert not MatchingJob.objects.exists()

    @pytest.mark.parametrize(("kind", "message"), [
        ("affinities", "The affinity computation is already pending or running for this call."),
        ("generation", "The generation of assignments is already pending or running for this call."),
        ("comparison", "The comparison of the algorithms is already pending or running for this call."),
    ])
    def test_one_active_job_per_call_and_kind(self, world, kind, message):
        job(world.call, kind=kind, state="running")
        response = client_for(world.manager).post(start_url(world.call, kind), {}, format="json")
        assert response.status_code == 400 and response.json() == {"detail": message}

    def test_without_a_worker_503(self, world, settings):
        settings.CELERY_TASK_ALWAYS_EAGER = False  # as served: a worker must be running
        assert not WorkerHeartbeat.objects.exists()
        response = client_for(world.manager).post(start_url(world.call, "affinities"))
        assert response.status_code == 503
        assert response.json()["detail"].startswith(
            "The affinity computation was not started: no background worker is running")
        assert not MatchingJob.objects.exists()

    def test_comparison_job_takes_reviewers_per_proposal_within_the_calls_maximum(self, world):
        client = client_for(world.manager)
        refused = client.post(start_url(world.call, "comparison"), {"reviewers_per_proposal": 99}, format="json")
        assert refused.status_code == 400 and list(refused.json()) == ["reviewers_per_proposal"]
        body = client.post(start_url(world.call, "comparison"), {"reviewers_per_proposal": 2}, format="json").json()
        assert (body["kind"], body["state"], body["total"]) == ("comparison", "pending", 5)
        assert body["parameters"] == {"reviewers_per_proposal": 2}

    def test_comparison_job_takes_no_seed_and_ignores_a_null_one(self, world):
        """Found by the schema fuzz test: `"seed": null` (a field of generate-assignments/) answered 500."""
        body = client_for(world.manager).post(start_url(world.call, "comparison"),
                                              {"reviewers_per_proposal": None, "seed": None}, format="json").json()
        assert (body["kind"], body["parameters"]) == ("comparison", {"reviewers_per_proposal": None})

    @pytest.mark.parametrize("kind", list(START))
    def test_get_is_405(self, world, kind):
        assert client_for(world.manager).get(start_url(world.call, kind)).status_code == 405


class TestCancel:
    @role_matrix({"anonymous": 401, "stranger": 404, "reviewer": 404, "other_manager": 404, "support": 403,
                  "manager": 200, "staff": 200})
    def test_roles(self, world, role, expected):
        running = job(world.call, state="running")
        response = as_role(world, role).post(f"{url(running)}cancel/")
        assert response.status_code == expected, response.content
        running.refresh_from_db()
        assert running.state == ("cancelled" if expected == 200 else "running")

    def test_cancel_answers_the_cancelled_job(self, world):
        pending = job(world.call, kind="generation", state="pending")
        body = client_for(world.staff).post(f"{url(pending)}cancel/").json()
        assert (body["state"], body["error_message"]) == ("cancelled", "Cancelled by Staff Tester before anything "
                                                                       "was written.")
        assert body["completed_at"] is not None
        event = AuditEvent.objects.get(event_type="MATCHING_JOB_CANCELLED")
        assert (event.actor, event.from_state, event.to_state) == (world.staff, "pending", "cancelled")

    @pytest.mark.parametrize("state", ["completed", "failed", "cancelled"])
    def test_a_finished_job_is_400_in_words(self, world, state):
        done = job(world.call, state=state)
        response = client_for(world.manager).post(f"{url(done)}cancel/")
        assert response.status_code == 400
        assert response.json() == {
            "detail": f"This job has already {state}: only a pending or running job can be cancelled."}


def test_the_schema_documents_the_jobs(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]
    assert {"get"} <= set(paths["/api/matching-jobs/"]) and "get" in paths["/api/matching-jobs/{uuid}/"]
    for path in ("/api/matching-jobs/{uuid}/cancel/", "/api/coi-detection-jobs/{uuid}/cancel/"):
        assert set(paths[path]["post"]["responses"]) >= {"200", "400", "403", "404"}, path
    for action in START.values():
        responses = paths[f"/api/proposal-protected-calls/{{uuid}}/{action}/"]["post"]["responses"]
        assert responses["202"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/MatchingJob"}
