"""`POST /api/proposal-protected-calls/{uuid}/generate-assignments/` (§3.5, §5.5): roles,
validation, the response the client parses, deployment vs dry run."""

import uuid

import pytest
from waldur_api_client.models import GenerateAssignmentsResponse

from referee.assignments.models import AssignmentBatch, AssignmentItem, ProposedAssignment
from referee.assignments.requested import NOT_IN_CALL
from referee.calls.models import MatchingConfiguration
from referee.core.models import AuditEvent
from tests import factories as f
from tests.engine.test_generation import set_scores
from tests.helpers import as_role, client_for, role_matrix

DROP = object()


def url(call):
    return f"/api/proposal-protected-calls/{call.uuid.hex}/generate-assignments/"


@pytest.fixture
def scored(world):
    """The world with two more accepted reviewers and chosen affinities (every pair eligible)."""
    world.entries = [world.entry, *(f.pool_entry(world.call, f.profile(f.user())) for _ in range(2))]
    MatchingConfiguration.objects.filter(call=world.call).update(min_reviewers_per_proposal=2,
                                                                      min_proposals_per_reviewer=0)
    set_scores(world.call, [world.proposal, world.proposal2], world.entries, [[0.9, 0.5, 0.3], [0.4, 0.8, 0.6]])
    return world


def post(w, data=None, user=None):
    return client_for(user or w.manager).post(url(w.call), data if data is not None else {}, format="json")


@pytest.mark.django_db
class TestRoles:
    @role_matrix({"anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 403, "support": 403,
                  "manager": 200, "staff": 200})
    def test_who_may_generate(self, scored, role, expected):
        response = as_role(scored, role).post(url(scored.call), {}, format="json")
        assert response.status_code == expected, response.content
        assert AssignmentItem.objects.count() == (4 if expected == 200 else 0)

    def test_unknown_call_is_404_and_get_is_405(self, world):
        client = client_for(world.manager)
        assert client.post(f"/api/proposal-protected-calls/{uuid.uuid4().hex}/generate-assignments/", {},
                           format="json").status_code == 404
        assert client.get(url(world.call)).status_code == 405


@pytest.mark.django_db
class TestSuccess:
    def test_deploys_and_answers_what_the_client_parses(self, scored):
        response = post(scored)
        assert response.status_code == 200, response.content
        parsed = GenerateAssignmentsResponse.from_dict(response.json())
        assert (parsed.batches_created, parsed.items_created, parsed.proposals_processed) == (3, 4, 2)
        assert parsed.skipped_proposals == []
        assert parsed["total_affinity"] == pytest.approx(0.9 + 0.5 + 0.8 + 0.6)
        assert parsed["min_proposal_affinity"] == pytest.approx(1.4)
        assert parsed["unmet_reviewer_minimums"] == []
        assert set(AssignmentItem.objects.values_list("status", flat=True)) == {"pending"}
        assert set(AssignmentItem.objects.values_list("call_id", flat=True)) == {scored.call.pk}  # the batches'
        assert AssignmentBatch.objects.filter(call=scored.call, status="draft", source="algorithm").count() == 3
        assert ProposedAssignment.objects.filter(is_deployed=True, deployed_by=scored.manager).count() == 4
        assert AuditEvent.objects.filter(event_type="ASSIGNMENTS_GENERATED", actor=scored.manager).count() == 1
        again = post(scored).json()
        assert (again["items_created"], again["batches_created"], again["skipped_proposals"]) == (0, 0, [])

    def test_dry_run_reviewers_per_proposal_and_named_proposals(self, scored):
        unknown = uuid.uuid4()
        data = {"proposal_uuids": [str(scored.proposal.uuid), unknown.hex], "reviewers_per_proposal": 3,
                "dry_run": True}
        body = post(scored, data).json()
        parsed = GenerateAssignmentsResponse.from_dict(body)
        assert (parsed.items_created, parsed.batches_created, parsed.proposals_processed) == (3, 3, 1)
        assert [(s.proposal_uuid, s.proposal_name, s.reason) for s in parsed.skipped_proposals] == [
            (unknown, "", NOT_IN_CALL)]
        assert body["skipped_proposals"][0]["required"] == 0
        assert not AssignmentItem.objects.exists()
        assert ProposedAssignment.objects.filter(is_deployed=False).count() == 3

    def test_shortfall_reports_required_and_assigned(self, scored):
        MatchingConfiguration.objects.filter(call=scored.call).update(min_affinity_threshold=0.7)
        body = post(scored).json()
        assert [(s["proposal_uuid"], s["reason"], s["required"], s["assigned"]) for s in body["skipped_proposals"]] == [
            (scored.proposal.uuid.hex, "Could not find enough eligible reviewers", 2, 1),
            (scored.proposal2.uuid.hex, "Could not find enough eligible reviewers", 2, 1),
        ]
        GenerateAssignmentsResponse.from_dict(body)

    def test_empty_pool(self, world):
        world.entry.delete()
        body = post(world).json()
        assert [s["reason"] for s in body["skipped_proposals"]] == ["No accepted reviewers in pool"] * 2
        assert body["items_created"] == 0
        GenerateAssignmentsResponse.from_dict(body)


@pytest.mark.django_db
class TestValidation:
    @pytest.mark.parametrize("field,value", [
        ("proposal_uuids", "not a list"),
        ("proposal_uuids", ["nope"]),
        ("proposal_uuids", [str(uuid.uuid4()) for _ in range(1001)]),
        ("reviewers_per_proposal", 0),
        ("reviewers_per_proposal", 21),
        ("reviewers_per_proposal", "many"),
        ("reviewers_per_proposal", 6),  # above the call's max_reviewers_per_proposal (5)
        ("dry_run", "maybe"),
    ])
    def test_bad_input_is_400_naming_the_field(self, scored, field, value):
        response = post(scored, {field: value})
        assert response.status_code == 400 and list(response.json()) == [field], response.content
        assert not AssignmentItem.objects.exists() and not ProposedAssignment.objects.exists()

    def test_maximum_follows_the_configuration(self, scored):
        MatchingConfiguration.objects.filter(call=scored.call).update(max_reviewers_per_proposal=2)
        response = post(scored, {"reviewers_per_proposal": 3})
        assert response.status_code == 400 and "max_reviewers_per_proposal" in response.json()["reviewers_per_proposal"][0]
        assert post(scored, {"reviewers_per_proposal": 2, "dry_run": True}).status_code == 200

    def test_malformed_json(self, world):
        response = client_for(world.manager).generic("POST", url(world.call), "[1,", content_type="application/json")
        assert response.status_code == 400 and "detail" in response.json()
