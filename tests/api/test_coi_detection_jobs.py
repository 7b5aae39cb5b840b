"""`/api/coi-detection-jobs/` (§3.8) and the call action `detect-conflicts/` (§3.5)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from waldur_api_client.models import COIDetectionJob as ClientJob

from referee.conflicts.models import COIDetectionJob, ConflictOfInterest
from referee.core.models import AuditEvent
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

LIST = "/api/coi-detection-jobs/"
ALREADY = "A conflict detection job is already pending or running for this call."


def url(job):
    return f"{LIST}{job.uuid.hex}/"


def detect_url(call):
    return f"/api/proposal-protected-calls/{call.uuid.hex}/detect-conflicts/"


def job(call, **kwargs):
    kwargs.setdefault("state", "completed")
    return COIDetectionJob.objects.create(call=call, **kwargs)


@pytest.mark.django_db
class TestReads:
    def test_detail_parses_with_the_client(self, world):
        started = timezone.now() - timedelta(minutes=5)
        running = job(world.call, state="running", total_pairs=3, processed_pairs=1, conflicts_found=2,
                      started_at=started, config_snapshot={"coauthorship_lookback_years": 3})
        body = client_for(world.manager).get(url(running)).json()
        parsed = ClientJob.from_dict(body)
        assert parsed.state.value == "running" and parsed.job_type.value == "full_call"
        assert body["url"] == f"http://testserver{url(running)}"
        assert body["call"] == f"http://testserver/api/proposal-protected-calls/{world.call.uuid.hex}/"
        assert (body["call_uuid"], body["call_name"]) == (world.call.uuid.hex, world.call.name)
        assert (body["total_pairs"], body["processed_pairs"], body["conflicts_found"]) == (3, 1, 2)
        assert body["progress_percentage"] == 33.3
        assert (body["completed_at"], body["error_message"]) == (None, "")
        assert body["started_at"].endswith("Z") and body["config_snapshot"] == {"coauthorship_lookback_years": 3}

    def test_no_pairs_is_zero_percent(self, world):
        assert client_for(world.staff).get(url(job(world.call))).json()["progress_percentage"] == 0

    @role_matrix({"anonymous": set(), "stranger": set(), "reviewer": set(), "other_manager": {"foreign"},
                  "manager": {"own"}, "support": {"own", "foreign"}, "staff": {"own", "foreign"}})
    def test_visibility(self, world, role, expected):
        jobs = {"own": job(world.call), "foreign": job(world.other_call)}
        assert_visible(as_role(world, role), role, LIST, jobs, expected, url, parse=ClientJob.from_dict)

    @pytest.mark.parametrize("role", ROLES)
    def test_read_only(self, world, role):
        assert_read_only(client_for(role_user(world, role)), role, LIST, url(job(world.call)),
                         create={"call": world.call.uuid.hex}, change={"state": "failed"})

    def test_filters_and_ordering(self, world):
        now = timezone.now()
        a = job(world.call, started_at=now - timedelta(hours=3), completed_at=now - timedelta(hours=2))
        b = job(world.call, job_type="incremental", state="failed", started_at=now - timedelta(hours=1))
        c = job(world.other_call, state="pending")
        client = client_for(world.staff)

        def uuids(**params):
            response = client.get(LIST, params)
            assert response.status_code == 200, response.content
            return [row["uuid"] for row in response.json()]

        a, b, c = a.uuid.hex, b.uuid.hex, c.uuid.hex
        assert uuids() == [c, b, a]  # -created
        assert set(uuids(call_uuid=world.call.uuid.hex)) == {a, b}
        assert uuids(job_type="incremental") == [b]
        assert set(uuids(state=["pending", "failed"])) == {b, c}
        assert uuids(o="started_at") == [a, b, c]  # nulls last
        assert uuids(o="-completed_at") == [a, c, b]
        assert uuids(o="state") == [a, b, c]
        assert uuids(o="created") == [a, b, c]
        for param, value in (("call_uuid", "x"), ("job_type", "single"), ("state", "done"), ("o", "call")):
            response = client.get(LIST, {param: value})
            assert response.status_code == 400 and param in response.json()

    def test_query_count_is_constant(self, world):
        job(world.call)
        assert_constant_queries(client_for(world.manager), LIST,
                                lambda: [job(f.call(managers=[world.manager])) for _ in range(5)])


@pytest.mark.django_db
class TestDetectConflicts:
    STATUS = {"anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 403, "support": 403,
              "manager": 200, "staff": 200}

    @role_matrix(STATUS)
    def test_roles(self, world, role, expected):
        response = as_role(world, role).post(detect_url(world.call), {}, format="json")
        assert response.status_code == expected, response.content
        assert COIDetectionJob.objects.exists() is (expected == 200)

    def test_queues_a_pending_job_answering_200(self, world, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = client_for(world.manager).post(detect_url(world.call), {"job_type": "incremental"},
                                                      format="json")
        assert response.status_code == 200 and len(callbacks) == 1
        body = response.json()
        ClientJob.from_dict(body)
        created = COIDetectionJob.objects.get()
        assert (body["uuid"], body["state"], body["job_type"]) == (created.uuid.hex, "pending", "incremental")
        assert (created.created_by, created.call) == (world.manager, world.call)
        assert AuditEvent.objects.get(event_type="COI_DETECTION_REQUESTED").to_state == "pending"

    def test_job_runs_after_commit(self, world, django_capture_on_commit_callbacks):
        world.proposal.team.add(world.reviewer)
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(world.staff).post(detect_url(world.call), {}, format="json")
        assert response.json()["job_type"] == "full_call"
        assert COIDetectionJob.objects.get().state == "completed"
        assert ConflictOfInterest.objects.filter(proposal=world.proposal, coi_type="ROLE_NAMED").exists()

    @pytest.mark.parametrize("state", ["pending", "running"])
    def test_one_active_job_per_call(self, world, state):
        job(world.call, state=state)
        response = client_for(world.manager).post(detect_url(world.call), {}, format="json")
        assert response.status_code == 400 and response.json() == {"detail": ALREADY}
        job(world.other_call, state=state)  # other calls do not count
        job(world.call)  # nor finished jobs
        assert COIDetectionJob.objects.count() == 3

    @pytest.mark.parametrize("job_type", ["single_pair", "everything", 5])
    def test_bad_job_type_is_400(self, world, job_type):
        response = client_for(world.manager).post(detect_url(world.call), {"job_type": job_type}, format="json")
        assert response.status_code == 400 and list(response.json()) == ["job_type"]
        assert not COIDetectionJob.objects.exists()

    def test_get_is_405(self, world):
        assert client_for(world.manager).get(detect_url(world.call)).status_code == 405
