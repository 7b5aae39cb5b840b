"""`POST /api/proposal-protected-calls/{uuid}/deploy-preview/` (issue 10, item 6): deploying a dry
run creates exactly the previewed pairs, or refuses with a clear 400 when anything it depended on
changed since; it never solves again."""

import uuid

import pytest
from waldur_api_client.models import GenerateAssignmentsResponse

from referee.assignments import generation
from referee.assignments.models import AssignmentBatch, AssignmentItem, ProposedAssignment
from referee.conflicts.models import ConflictOfInterest
from referee.core.models import AuditEvent
from referee.reviewers.models import ReviewerBid
from tests import factories as f
from tests.engine.test_generation import build_call, set_scores
from tests.helpers import as_role, client_for, role_matrix

pytestmark = pytest.mark.django_db
SCORES = [[0.9, 0.5, 0.3], [0.4, 0.8, 0.6], [0.7, 0.2, 0.65]]


def action(w, name):
    return f"/api/proposal-protected-calls/{w.call.uuid.hex}/{name}/"


def preview(w, **data):
    response = client_for(w.manager).post(action(w, "generate-assignments"), {**data, "dry_run": True}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def deploy(w, preview_uuid, client=None):
    return (client or client_for(w.manager)).post(action(w, "deploy-preview"), {"preview_uuid": preview_uuid},
                                                  format="json")


def previewed_pairs(w) -> set:
    return set(ProposedAssignment.objects.filter(call=w.call, is_deployed=False).values_list("proposal_id",
                                                                                             "reviewer_id"))


def item_pairs(w) -> set:
    return set(AssignmentItem.objects.filter(batch__call=w.call).values_list("proposal_id", "pool_entry__reviewer_id"))


@pytest.fixture
def w():
    return build_call(3, 3, SCORES, min_reviewers_per_proposal=2, max_proposals_per_reviewer=2)


def test_deploys_exactly_the_previewed_pairs_once(w):
    shown = preview(w)
    pairs = previewed_pairs(w)
    assert len(pairs) == shown["items_created"] == 6 and shown["preview_uuid"]
    assert not AssignmentItem.objects.exists()
    response = deploy(w, shown["preview_uuid"])
    assert response.status_code == 200, response.content
    body = response.json()
    GenerateAssignmentsResponse.from_dict(body)
    assert item_pairs(w) == pairs
    assert {k: body[k] for k in ("items_created", "batches_created")} == {"items_created": 6, "batches_created": 3}
    same = ("proposals_processed", "skipped_proposals", "total_affinity", "min_proposal_affinity",
            "unmet_reviewer_minimums", "candidate_pairs", "removed_pairs", "eligible_pairs", "preview_uuid")
    assert {k: body[k] for k in same} == {k: shown[k] for k in same}
    for item in AssignmentItem.objects.filter(batch__call=w.call).select_related("pool_entry"):
        row = ProposedAssignment.objects.get(proposal=item.proposal, reviewer=item.pool_entry.reviewer)
        assert (item.status, item.affinity_score, row.is_deployed, row.deployed_by) == (
            "pending", row.affinity_score, True, w.manager)
    assert set(AssignmentBatch.objects.filter(call=w.call).values_list("status", "source")) == {
        ("draft", "algorithm")}
    event = AuditEvent.objects.get(event_type="ASSIGNMENTS_GENERATED", call=w.call)
    assert (event.actor, event.context["preview_uuid"], event.context["items_created"]) == (
        w.manager, shown["preview_uuid"], 6)
    again = deploy(w, shown["preview_uuid"])
    assert again.status_code == 400 and list(again.json()) == ["preview_uuid"]
    assert again.json()["preview_uuid"][0].startswith("This preview was already deployed on ")
    assert AssignmentItem.objects.count() == 6


def test_a_named_subset_is_deployed_as_previewed(w):
    first = w.proposals[0]
    shown = preview(w, proposal_uuids=[first.uuid.hex, uuid.uuid4().hex], reviewers_per_proposal=3)
    assert deploy(w, shown["preview_uuid"]).json()["skipped_proposals"] == shown["skipped_proposals"]
    assert item_pairs(w) == {(first.id, e.reviewer_id) for e in w.entries}


def test_deploying_never_solves_again(w, monkeypatch):
    shown = preview(w)

    def no_solve(*args, **kwargs):
        raise AssertionError("deploy-preview solved again")

    monkeypatch.setattr(generation, "solve", no_solve)
    assert deploy(w, shown["preview_uuid"]).status_code == 200
    assert AssignmentItem.objects.count() == 6


def _add_blocking_conflict(w):
    row = ProposedAssignment.objects.filter(call=w.call, is_deployed=False).first()
    ConflictOfInterest.objects.create(reviewer=row.reviewer, proposal=row.proposal, call=w.call,
                                      coi_type="INST_SAME", severity="real", rule="recusal_required")


def _new_pool_member(w):
    newcomer = f.pool_entry(w.call, f.profile(f.user()))
    set_scores(w.call, w.proposals, [*w.entries, newcomer], [row + [0.95] for row in SCORES])


def _new_proposal(w):
    set_scores(w.call, [*w.proposals, f.proposal(w.round)], w.entries, [*SCORES, [0.5, 0.5, 0.5]])


def _conflict_bid(w):
    ReviewerBid.objects.create(reviewer=w.entries[0].reviewer, proposal=w.proposals[0], bid="conflict")


def _manual_item(w):
    f.item(f.batch(w.entries[2]), w.proposals[0])


def _unavailable(w):
    w.entries[0].reviewer.available_for_reviews = False
    w.entries[0].reviewer.save()


def _team_member(w):
    w.proposals[1].team.add(w.entries[1].reviewer.user)


def _edited_scores(w):
    set_scores(w.call, w.proposals, w.entries, [[0.3, 0.5, 0.9], *SCORES[1:]])


def _threshold(w):
    response = client_for(w.manager).patch(action(w, "matching-configuration"), {"min_affinity_threshold": 0.45},
                                           format="json")
    assert response.status_code == 200


@pytest.mark.parametrize("change,named", [
    (_add_blocking_conflict, "the blocking conflicts of interest"),
    (_new_pool_member, "the reviewer pool (who accepted, availability, assignment limits)"),
    (_new_proposal, "the proposals open for review"),
    (_conflict_bid, "the reviewers' bids"),
    (_manual_item, "the call's assignments and open reviews"),
    (_unavailable, "the reviewer pool (who accepted, availability, assignment limits)"),
    (_team_member, "the proposal teams"),
    (_edited_scores, "the affinity scores (a proposal or a reviewer profile was edited)"),
    (_threshold, "the matching configuration"),
])
def test_a_change_since_the_preview_is_a_refusal_naming_it(w, change, named):
    shown = preview(w)
    before = previewed_pairs(w)
    change(w)
    response = deploy(w, shown["preview_uuid"])
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert detail.startswith(f"The preview is out of date: {named}") and "Nothing was deployed" in detail
    assert AssignmentItem.objects.count() == (1 if change is _manual_item else 0)
    assert previewed_pairs(w) == before  # the preview stays, to compare with a new one
    assert not AuditEvent.objects.filter(event_type="ASSIGNMENTS_GENERATED").exists()


def test_several_changes_are_all_named(w):
    shown = preview(w)
    _conflict_bid(w)
    _threshold(w)
    detail = deploy(w, shown["preview_uuid"]).json()["detail"]
    assert detail.startswith("The preview is out of date: the matching configuration and the reviewers' bids "
                             "changed since it was made")


def test_a_change_the_solve_did_not_depend_on_does_not_refuse(w):
    shown = preview(w)
    pairs = previewed_pairs(w)
    row = ProposedAssignment.objects.filter(call=w.call, is_deployed=False).first()
    ConflictOfInterest.objects.create(reviewer=row.reviewer, proposal=row.proposal, call=w.call,
                                      coi_type="COAUTH_OLD", severity="potential", rule="disclosure_only")
    client_for(w.manager).patch(action(w, "matching-configuration"), {"min_proposals_per_reviewer": 0},
                                   format="json")  # already 0: the same configuration
    assert deploy(w, shown["preview_uuid"]).status_code == 200
    assert item_pairs(w) == pairs


def test_only_the_current_preview_can_be_deployed(w):
    old = preview(w)["preview_uuid"]
    new = preview(w, reviewers_per_proposal=1)["preview_uuid"]
    response = deploy(w, old)
    assert response.status_code == 400 and response.json()["preview_uuid"][0].startswith(
        "This is not the call's current preview")
    client_for(w.manager).post(action(w, "generate-assignments"), {}, format="json")  # a real run
    assert deploy(w, new).status_code == 400
    other = build_call(1, 1, [[0.9]], min_reviewers_per_proposal=1)
    foreign = preview(other)["preview_uuid"]
    assert deploy(w, foreign).json()["preview_uuid"][0].startswith("This is not the call's current preview")


@pytest.mark.parametrize("body", [{}, {"preview_uuid": "nope"}, {"preview_uuid": None}, {"preview_uuid": [1]}])
def test_bad_input_is_400_naming_the_field(w, body):
    response = client_for(w.manager).post(action(w, "deploy-preview"), body, format="json")
    assert response.status_code == 400 and list(response.json()) == ["preview_uuid"], response.content


@role_matrix({"anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 403, "support": 403,
              "manager": 200, "staff": 200})
def test_who_may_deploy(world, role, expected):
    world.entries = [world.entry]
    set_scores(world.call, [world.proposal, world.proposal2], world.entries, [[0.9], [0.9]])
    shown = preview(world)
    response = deploy(world, shown["preview_uuid"], as_role(world, role))
    assert response.status_code == expected, response.content
    assert AssignmentItem.objects.count() == (2 if expected == 200 else 0)
