"""`POST /api/proposal-protected-calls/{uuid}/create-manual-assignment/` (§3.5, §5.6, §4.5)."""

import uuid

import pytest
from waldur_api_client.models import CreateManualAssignmentResponse

from referee.assignments.models import AssignmentBatch, AssignmentItem
from referee.conflicts.models import ConflictOfInterest
from referee.core.models import AuditEvent
from tests import factories as f
from tests.helpers import as_role, client_for, role_matrix

NIL = "0" * 32
DROP = object()


def url(call):
    return f"/api/proposal-protected-calls/{call.uuid.hex}/create-manual-assignment/"


def body(w, *proposals, **extra):
    return {"reviewer_pool_entry_uuid": str(w.entry.uuid), "proposal_uuids": [str(p.uuid) for p in proposals], **extra}


def post(w, data, user=None):
    return client_for(user or w.manager).post(url(w.call), data, format="json")


@pytest.mark.django_db
class TestRoles:
    @role_matrix({"anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 403, "support": 403,
                  "manager": 200, "staff": 200})
    def test_who_may_assign(self, world, role, expected):
        response = as_role(world, role).post(url(world.call), body(world, world.proposal), format="json")
        assert response.status_code == expected, response.content
        assert AssignmentItem.objects.count() == (1 if expected == 200 else 0)

    def test_unknown_call_is_404_and_get_is_405(self, world):
        client = client_for(world.manager)
        response = client.post(f"/api/proposal-protected-calls/{uuid.uuid4().hex}/create-manual-assignment/",
                               body(world, world.proposal), format="json")
        assert response.status_code == 404
        assert client.get(url(world.call)).status_code == 405


@pytest.mark.django_db
class TestSuccess:
    def test_creates_items_in_a_new_manual_draft(self, world):
        response = post(world, body(world, world.proposal, world.proposal2, manager_notes="Hi"))
        assert response.status_code == 200
        parsed = CreateManualAssignmentResponse.from_dict(response.json())
        batch = AssignmentBatch.objects.get()
        assert (response.json()["batch_uuid"], parsed.items_created, parsed.skipped_proposals) == (batch.uuid.hex, 2, [])
        assert (batch.source, batch.status, batch.created_by, batch.manager_notes) == ("manual", "draft", world.manager, "Hi")
        assert set(batch.items.values_list("status", flat=True)) == {"pending"}
        assert set(batch.items.values_list("call_id", "pool_entry_id")) == {(world.call.pk, world.entry.pk)}
        batch_view = client_for(world.manager).get(f"/api/assignment-batches/{batch.uuid.hex}/").json()
        assert batch_view["items_pending_count"] == 2

    def test_skipped_proposals_and_nil_batch(self, world):
        world.proposal.state = "draft"
        world.proposal.save()
        foreign = f.proposal(f.round_(world.other_call))
        response = post(world, body(world, world.proposal, foreign))
        parsed = CreateManualAssignmentResponse.from_dict(response.json())
        assert (response.json()["batch_uuid"], parsed.items_created) == (NIL, 0)
        assert [(s.proposal_uuid.hex, s.proposal_name, s.reason) for s in parsed.skipped_proposals] == [
            (world.proposal.uuid.hex, world.proposal.name, "Proposal is not open for review"),
            (foreign.uuid.hex, "", "Proposal not found in this call"),
        ]

    def test_repeating_the_request_skips_existing_items(self, world):
        first = post(world, body(world, world.proposal)).json()
        second = post(world, body(world, world.proposal, world.proposal2)).json()
        assert first["batch_uuid"] == second["batch_uuid"] and second["items_created"] == 1
        assert second["skipped_proposals"] == [{"proposal_uuid": world.proposal.uuid.hex, "proposal_name": world.proposal.name,
                                                "reason": "Assignment already exists for this reviewer"}]

    def test_blocked_pair_is_a_coi_blocked_item(self, world):
        ConflictOfInterest.objects.create(reviewer=world.profile, proposal=world.proposal, call=world.call,
                                          coi_type="INST_SAME", severity="apparent", rule="management_allowed")
        assert post(world, body(world, world.proposal)).json()["items_created"] == 1
        item = AssignmentItem.objects.get()
        assert (item.status, item.has_coi, item.coi_records.count()) == ("coi_blocked", True, 1)


@pytest.mark.django_db
class TestValidation:
    @pytest.mark.parametrize("field,data", [
        ("reviewer_pool_entry_uuid", {"reviewer_pool_entry_uuid": DROP}),
        ("reviewer_pool_entry_uuid", {"reviewer_pool_entry_uuid": None}),
        ("proposal_uuids", {"proposal_uuids": DROP}),
        ("reviewer_pool_entry_uuid", {"reviewer_pool_entry_uuid": "nope"}),
        ("proposal_uuids", {"proposal_uuids": []}),
        ("proposal_uuids", {"proposal_uuids": "not a list"}),
        ("proposal_uuids", {"proposal_uuids": ["nope"]}),
        ("proposal_uuids", {"proposal_uuids": [str(uuid.uuid4()) for _ in range(1001)]}),
        ("manager_notes", {"manager_notes": "x" * 5001}),
        ("override_workload_limit", {"override_workload_limit": "maybe"}),
    ])
    def test_bad_input_is_400_naming_the_field(self, world, field, data):
        data = {key: value for key, value in {**body(world, world.proposal), **data}.items() if value is not DROP}
        response = post(world, data)
        assert response.status_code == 400 and list(response.json()) == [field], response.content
        assert not AssignmentItem.objects.exists()

    def test_entry_not_eligible(self, world):
        message = {"reviewer_pool_entry_uuid": ["Reviewer not found in pool or not accepted."]}
        foreign_entry = f.pool_entry(world.other_call, f.profile(f.user()))
        pending_entry = f.pool_entry(world.call, f.profile(f.user()), status="pending")
        for entry_uuid in (uuid.uuid4(), foreign_entry.uuid, pending_entry.uuid):
            response = post(world, {**body(world, world.proposal), "reviewer_pool_entry_uuid": entry_uuid.hex})
            assert (response.status_code, response.json()) == (400, message)

    def test_only_foreign_proposals(self, world):
        foreign = f.proposal(f.round_(world.other_call))
        response = post(world, {**body(world), "proposal_uuids": [foreign.uuid.hex, uuid.uuid4().hex]})
        assert (response.status_code, response.json()) == (400, {"proposal_uuids": ["No valid proposals found."]})

    def test_malformed_json(self, world):
        response = client_for(world.manager).generic("POST", url(world.call), "[1,", content_type="application/json")
        assert response.status_code == 400 and "detail" in response.json()


@pytest.mark.django_db
class TestWorkload:
    def test_limit_then_override(self, world):
        world.entry.max_assignments = 1
        world.entry.save()
        response = post(world, body(world, world.proposal, world.proposal2))
        assert (response.status_code, response.json()) == (400, {"override_workload_limit": [
            "Reviewer has 0 open assignments (limit 1); this request would add 2. "
            "Set override_workload_limit to assign anyway."]})
        assert not AssignmentBatch.objects.exists()
        response = post(world, body(world, world.proposal, world.proposal2, override_workload_limit=True))
        assert response.status_code == 200 and response.json()["items_created"] == 2
        assert AuditEvent.objects.filter(event_type="REVIEWER_WORKLOAD_LIMIT_OVERRIDDEN", actor=world.manager).count() == 1

    def test_skipped_duplicates_are_not_new(self, world):
        world.entry.max_assignments = 1
        world.entry.save()
        assert post(world, body(world, world.proposal)).status_code == 200
        response = post(world, body(world, world.proposal))
        assert response.status_code == 200 and response.json()["items_created"] == 0
