"""The published client (`waldur-api-client` 8.1.3) against a live server: every
`assignment_items_*` and `proposal_reviews_*` call parses Referee's answers (§0.1)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from waldur_api_client import errors
from waldur_api_client.api.assignment_items import (
    assignment_items_accept,
    assignment_items_count,
    assignment_items_create,
    assignment_items_decline,
    assignment_items_destroy,
    assignment_items_force_unblock,
    assignment_items_list,
    assignment_items_partial_update,
    assignment_items_reassign,
    assignment_items_retrieve,
    assignment_items_suggest_alternatives_retrieve,
    assignment_items_update,
)
from waldur_api_client.api.proposal_reviews import (
    proposal_reviews_count,
    proposal_reviews_create,
    proposal_reviews_destroy,
    proposal_reviews_list,
    proposal_reviews_partial_update,
    proposal_reviews_reject,
    proposal_reviews_retrieve,
    proposal_reviews_submit,
    proposal_reviews_update,
)
from waldur_api_client.models import (
    AssignmentItem,
    AssignmentItemDeclineRequest,
    AssignmentItemOEnum,
    AssignmentItemRequest,
    AssignmentItemResponse,
    AssignmentItemStatus,
    ForceUnblockRequest,
    PatchedAssignmentItemRequest,
    PatchedProposalReviewRequest,
    ProposalReview,
    ProposalReviewOEnum,
    ProposalReviewRequest,
    ProposalReviewStateEnum,
    ReassignItemRequest,
    ReassignItemResponse,
    ReviewSubmitRequest,
    SuggestAlternativeReviewers,
)

from referee.assignments.models import AffinityScore
from referee.conflicts.models import ConflictOfInterest
from referee.reviews.models import Review
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


def test_reviewer_answers_and_manager_reassigns(world, waldur):
    batch = f.batch(world.entry, status="sent")
    first = f.item(batch, world.proposal, affinity_score=0.4)
    second = f.item(batch, world.proposal2)
    reviewer, manager = waldur(world.reviewer), waldur(world.manager)

    accepted = assignment_items_accept.sync(first.uuid, client=reviewer)
    assert isinstance(accepted, AssignmentItemResponse) and accepted.detail == "Assignment accepted. Review created."
    assert accepted.review_uuid == Review.objects.get().uuid
    declined = assignment_items_decline.sync(second.uuid, client=reviewer,
                                             body=AssignmentItemDeclineRequest(reason="Too busy"))
    assert declined.detail == "Assignment declined." and declined.review_uuid is None

    item = assignment_items_retrieve.sync(first.uuid, client=reviewer)
    assert isinstance(item, AssignmentItem) and item.status == AssignmentItemStatus.ACCEPTED
    assert item.review_uuid == accepted.review_uuid and item.affinity_score == 0.4

    updated = assignment_items_update.sync(second.uuid, client=manager,
                                           body=AssignmentItemRequest(decline_reason="On leave"))
    assert updated.decline_reason == "On leave"
    patched = assignment_items_partial_update.sync(second.uuid, client=manager,
                                                   body=PatchedAssignmentItemRequest(decline_reason="Away"))
    assert patched.decline_reason == "Away" and patched.review_uuid.int == 0

    target = f.pool_entry(world.call, f.profile(f.user()))
    AffinityScore.objects.create(call=world.call, reviewer=target.reviewer, proposal=world.proposal2,
                                 affinity_score=0.77, method="combined", keyword_weight=0.4, text_weight=0.6)
    suggestions = assignment_items_suggest_alternatives_retrieve.sync(second.uuid, client=manager)
    assert isinstance(suggestions, SuggestAlternativeReviewers)
    assert [(s.pool_entry_uuid, s.affinity_score) for s in suggestions.suggestions] == [(target.uuid, 0.77)]

    moved = assignment_items_reassign.sync(second.uuid, client=manager, body=ReassignItemRequest(
        reviewer_pool_entry_uuid=target.uuid, manager_notes="Thanks"))
    assert isinstance(moved, ReassignItemResponse) and moved["has_coi"] is False
    assert moved.detail == "Assignment reassigned successfully."
    new = assignment_items_retrieve.sync(moved.new_item_uuid, client=manager)
    assert new.reassign_count == 1 and new.batch.endswith(f"/api/assignment-batches/{moved.new_batch_uuid.hex}/")

    assert assignment_items_destroy.sync_detailed(moved.new_item_uuid, client=manager).status_code == 204
    with pytest.raises(errors.UnexpectedStatus) as missing:
        assignment_items_retrieve.sync(moved.new_item_uuid, client=manager)
    assert missing.value.status_code == 404


def test_force_unblock(world, waldur):
    item = f.item(f.batch(world.entry, status="sent"), world.proposal, status="coi_blocked")
    ConflictOfInterest.objects.create(reviewer=world.profile, proposal=world.proposal, call=world.call,
                                      coi_type="INST_FORMER", severity="apparent", rule="management_allowed")
    unblocked = assignment_items_force_unblock.sync(item.uuid, client=waldur(world.manager),
                                                    body=ForceUnblockRequest(override_reason="Panel agreed"))
    assert isinstance(unblocked, AssignmentItem) and unblocked.status == AssignmentItemStatus.PENDING
    assert (unblocked.override_reason, unblocked.overridden_by_name) == ("Panel agreed", world.manager.full_name)


def test_item_list_filters_ordering_pages_and_count(world, waldur):
    batch = f.batch(world.entry, status="sent")
    items = [f.item(batch, f.proposal(world.round), affinity_score=score) for score in (0.2, 0.5, 0.8)]
    f.item(batch, f.proposal(world.round), status="coi_blocked")
    client = waldur(world.manager)

    rows = assignment_items_list.sync(client=client)
    assert len(rows) == 4 and all(isinstance(row, AssignmentItem) for row in rows)
    rows = assignment_items_list.sync(
        client=client, batch_uuid=batch.uuid, call_uuid=world.call.uuid, reviewer_uuid=world.profile.uuid,
        status=[AssignmentItemStatus.PENDING], has_coi=False, min_affinity_score=0.3,
        o=[AssignmentItemOEnum.VALUE_0], page=1, page_size=1,
    )
    assert [row.uuid for row in rows] == [items[2].uuid]
    one = assignment_items_list.sync(client=client, proposal_uuid=items[0].proposal.uuid)
    assert [row.uuid for row in one] == [items[0].uuid]
    assert len(assignment_items_list.sync_all(client=client, o=[AssignmentItemOEnum.CREATED])) == 4
    assert assignment_items_count.sync(client=client) == 4
    assert assignment_items_count.sync(client=client, has_coi=True) == 1


def test_item_create_is_refused_with_405(world, waldur):
    with pytest.raises(errors.UnexpectedStatus) as refused:
        assignment_items_create.sync(client=waldur(world.manager), body=AssignmentItemRequest(decline_reason="x"))
    assert refused.value.status_code == 405


def test_reviews_through_the_client(world, waldur):
    world.round.review_duration_in_days = 14
    world.round.save()
    manager, reviewer = waldur(world.manager), waldur(world.reviewer)

    created = proposal_reviews_create.sync(client=manager, body=ProposalReviewRequest(
        proposal=f"/api/proposal-proposals/{world.proposal.uuid.hex}/", reviewer=world.reviewer.uuid.hex))
    assert isinstance(created, ProposalReview) and created.state == ProposalReviewStateEnum.IN_REVIEW
    assert created.reviewer_uuid == world.reviewer.uuid and created.call_managing_organisation_uuid.int == 0
    assert created.review_end_date == created.created + timedelta(days=14)

    patched = proposal_reviews_partial_update.sync(created.uuid, client=reviewer, body=PatchedProposalReviewRequest(
        summary_score=8, comment_team="Strong team"))
    assert (patched.summary_score, patched.comment_team) == (8, "Strong team")

    submitted = proposal_reviews_submit.sync_detailed(created.uuid, client=reviewer, body=ReviewSubmitRequest(
        summary_public_comment="Fund it", coi_confirmed=True))
    assert submitted.status_code == 200
    parsed = ProposalReview.from_dict(json.loads(submitted.content))
    assert parsed.state == ProposalReviewStateEnum.SUBMITTED and parsed.coi_confirmed_at is not None

    other = proposal_reviews_create.sync(client=manager, body=ProposalReviewRequest(
        proposal=world.proposal2.uuid.hex, reviewer=world.reviewer.uuid.hex, override_workload_limit=True))
    rejected = proposal_reviews_reject.sync_detailed(other.uuid, client=manager)
    assert rejected.status_code == 200
    assert ProposalReview.from_dict(json.loads(rejected.content)).state == ProposalReviewStateEnum.REJECTED

    rows = proposal_reviews_list.sync(client=reviewer, call_uuid=world.call.uuid, o=[ProposalReviewOEnum.CREATED])
    assert [row.uuid for row in rows] == [created.uuid, other.uuid]
    rows = proposal_reviews_list.sync(client=manager, state=[ProposalReviewStateEnum.REJECTED],
                                      reviewer_uuid=world.reviewer.uuid, proposal_uuid=world.proposal2.uuid,
                                      round_uuid=world.round.uuid)
    assert [row.uuid for row in rows] == [other.uuid]
    assert proposal_reviews_count.sync(client=manager) == 2
    assert proposal_reviews_retrieve.sync(created.uuid, client=manager).summary_public_comment == "Fund it"

    for call in (lambda: proposal_reviews_update.sync(created.uuid, client=reviewer,
                                                      body=ProposalReviewRequest(proposal=world.proposal.uuid.hex)),
                 lambda: proposal_reviews_destroy.sync_detailed(created.uuid, client=manager)):
        with pytest.raises(errors.UnexpectedStatus) as refused:
            call()
        assert refused.value.status_code == 405


def test_review_from_an_item_is_due_with_its_batch(world, waldur):
    world.round.review_duration_in_days = 1
    world.round.save()
    batch = f.batch(world.entry, status="sent", expires_at=timezone.now() + timedelta(days=20))
    item = f.item(batch, world.proposal)
    reviewer = waldur(world.reviewer)
    accepted = assignment_items_accept.sync(item.uuid, client=reviewer)
    review = proposal_reviews_retrieve.sync(accepted.review_uuid, client=reviewer)
    assert review.review_end_date == batch.expires_at
