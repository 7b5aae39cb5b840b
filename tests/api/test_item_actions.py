"""Item actions (§3.3, §4.2, §5.6): accept, decline (with auto-reassign), suggest_alternatives
and reassign — roles, every guard with its exact message, field validation. Force-unblock is
with the other manager corrections in test_assignment_items.py."""

from datetime import timedelta

import pytest
from django.utils import timezone
from waldur_api_client.models import AssignmentItemResponse, ReassignItemResponse, SuggestAlternativeReviewers

from referee.assignments.models import AffinityScore, AssignmentBatch, AssignmentItem
from referee.core.models import AuditEvent
from referee.notifications.models import OutboxMessage
from referee.reviewers.models import ReviewerBid
from referee.reviews.models import Review
from tests import factories as f
from tests.helpers import client_for, role_matrix, role_user

LIST = "/api/assignment-items/"
SELF_REFUSED = {"anonymous": 401, "stranger": 404, "other_manager": 404, "manager": 403, "support": 403, "staff": 403}
MANAGER_REFUSED = {"anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 403, "support": 403}
WORKLOAD = ("Reviewer has 1 open assignments (limit 1); this request would add 1. "
            "Set override_workload_limit to assign anyway.")
COI_MESSAGE = "Cannot accept assignment with unresolved COI. Please contact the call manager."


def url(item, action):
    return f"{LIST}{item.uuid.hex}/{action}/"


def other_entry(w, **kwargs):
    return f.pool_entry(w.call, f.profile(f.user()), **kwargs)


@pytest.fixture
def sent(world):
    return f.batch(world.entry, status="sent")


@pytest.fixture
def item(world, sent):
    return f.item(sent, world.proposal)


def post(user, item, action, body=None):
    return client_for(user).post(url(item, action), body or {}, format="json")


@pytest.mark.django_db
class TestAccept:
    def test_accept_creates_one_linked_review_and_completes_the_batch(self, world, sent, item):
        response = post(world.reviewer, item, "accept")
        assert response.status_code == 200, response.content
        parsed = AssignmentItemResponse.from_dict(response.json())
        review = Review.objects.get()
        assert parsed.detail == "Assignment accepted. Review created." and parsed.review_uuid == review.uuid
        assert response.json()["review_uuid"] == review.uuid.hex
        assert (review.state, review.reviewer, review.proposal) == ("in_review", world.reviewer, world.proposal)
        item.refresh_from_db()
        assert (item.status, item.review, item.responded_at is not None) == ("accepted", review, True)
        sent.refresh_from_db()
        assert sent.status == "responded" and sent.responded_at is not None
        # The reviewer may now read the proposal in full.
        assert client_for(world.reviewer).get(f"/api/proposal-proposals/{world.proposal.uuid.hex}/").status_code == 200

    def test_batch_stays_sent_while_items_are_pending(self, world, sent, item):
        f.item(sent, world.proposal2)
        assert post(world.reviewer, item, "accept").status_code == 200
        assert AssignmentBatch.objects.get(pk=sent.pk).status == "sent"

    @role_matrix(SELF_REFUSED)
    def test_only_the_reviewer(self, world, item, role, expected):
        response = post(role_user(world, role), item, "accept")
        assert response.status_code == expected
        assert not Review.objects.exists()

    @pytest.mark.parametrize("status", ["draft", "cancelled"])
    def test_items_of_unsent_batches_are_invisible_to_the_reviewer(self, world, status):
        item = f.item(f.batch(world.entry, status=status), world.proposal)
        assert post(world.reviewer, item, "accept").status_code == 404
        assert post(world.reviewer, item, "decline").status_code == 404

    @pytest.mark.parametrize("batch_kwargs,item_status", [
        ({"status": "expired"}, "expired"),
        ({"status": "sent", "expires_at": timezone.now() - timedelta(seconds=1)}, "pending"),
    ])
    def test_expired(self, world, batch_kwargs, item_status):
        item = f.item(f.batch(world.entry, **batch_kwargs), world.proposal, status=item_status)
        response = post(world.reviewer, item, "accept")
        assert (response.status_code, response.json()) == (400, {"detail": "Cannot accept expired assignment."})
        response = post(world.reviewer, item, "decline")
        assert (response.status_code, response.json()) == (400, {"detail": "Cannot decline expired assignment."})

    def test_blocking_coi_blocks_the_item_and_refuses(self, world, sent, item):
        conflict = f.conflict(world.profile, world.proposal)
        response = post(world.reviewer, item, "accept")
        assert (response.status_code, response.json()) == (400, {"detail": COI_MESSAGE})
        item.refresh_from_db()
        # The block is committed although the answer is a refusal.
        assert (item.status, item.has_coi, list(item.coi_records.all())) == ("coi_blocked", True, [conflict])
        assert AssignmentBatch.objects.get(pk=sent.pk).status == "responded"
        assert not Review.objects.exists()
        response = post(world.reviewer, item, "accept")  # already blocked: the same refusal
        assert (response.status_code, response.json()) == (400, {"detail": COI_MESSAGE})

    def test_non_blocking_coi_does_not_stop_acceptance(self, world, item):
        f.conflict(world.profile, world.proposal, rule="disclosure_only", severity="real")
        f.conflict(world.profile, world.proposal, status="dismissed", coi_type="INST_SAME")
        assert post(world.reviewer, item, "accept").status_code == 200

    @pytest.mark.parametrize("status", ["accepted", "declined", "reassigned"])
    def test_not_pending(self, world, sent, status):
        item = f.item(sent, world.proposal, status=status)
        response = post(world.reviewer, item, "accept")
        assert (response.status_code, response.json()) == (400, {"detail": "Can only accept pending assignments."})
        response = post(world.reviewer, item, "decline")
        assert (response.status_code, response.json()) == (400, {"detail": "Can only decline pending assignments."})

    def test_guard_order_coi_before_not_pending(self, world, sent):
        item = f.item(sent, world.proposal, status="declined")
        f.conflict(world.profile, world.proposal)
        assert post(world.reviewer, item, "accept").json() == {"detail": COI_MESSAGE}
        assert AssignmentItem.objects.get(pk=item.pk).status == "declined"  # only pending items get blocked

    def test_proposal_closed(self, world, item):
        world.proposal.state = "accepted"
        world.proposal.save()
        response = post(world.reviewer, item, "accept")
        assert (response.status_code, response.json()) == (400, {"detail": "Proposal is no longer open for review."})

    @pytest.mark.parametrize("state", ["in_review", "submitted"])
    def test_existing_active_review(self, world, item, state):
        Review.objects.create(proposal=world.proposal, reviewer=world.reviewer, state=state)
        response = post(world.reviewer, item, "accept")
        assert response.json() == {"detail": "You already have an active review for this proposal."}
        assert AssignmentItem.objects.get(pk=item.pk).status == "pending"

    def test_rejected_review_does_not_count(self, world, item):
        Review.objects.create(proposal=world.proposal, reviewer=world.reviewer, state="rejected")
        assert post(world.reviewer, item, "accept").status_code == 200
        assert Review.objects.filter(state="in_review").count() == 1

    def test_body_is_ignored(self, world, item):
        response = client_for(world.reviewer).post(url(item, "accept"), {"status": "declined"}, format="json")
        assert response.status_code == 200


@pytest.mark.django_db
class TestDecline:
    def test_decline_records_reason_completes_batch_and_mails_managers(self, world, sent, item):
        response = post(world.reviewer, item, "decline", {"reason": "Too busy"})
        assert response.status_code == 200
        assert response.json() == {"detail": "Assignment declined.", "review_uuid": None}
        assert AssignmentItemResponse.from_dict(response.json()).review_uuid is None
        item.refresh_from_db()
        assert (item.status, item.decline_reason, item.responded_at is not None) == ("declined", "Too busy", True)
        assert AssignmentBatch.objects.get(pk=sent.pk).status == "responded"
        mail = OutboxMessage.objects.get(template="assignment_declined")
        assert world.manager.email in mail.to and "Too busy" in mail.body_text

    def test_reason_is_optional_and_bounded(self, world, sent):
        first, second = f.item(sent, world.proposal), f.item(sent, world.proposal2)
        assert post(world.reviewer, first, "decline").status_code == 200
        assert AssignmentItem.objects.get(pk=first.pk).decline_reason == ""
        for bad in ("x" * 2001, ["no"], None):
            response = post(world.reviewer, second, "decline", {"reason": bad})
            assert response.status_code == 400 and list(response.json()) == ["reason"], bad
        assert post(world.reviewer, second, "decline", {"reason": "x" * 2000}).status_code == 200

    @role_matrix(SELF_REFUSED)
    def test_only_the_reviewer(self, world, item, role, expected):
        assert post(role_user(world, role), item, "decline").status_code == expected
        assert AssignmentItem.objects.get(pk=item.pk).status == "pending"

    def test_coi_blocked_item_cannot_be_declined(self, world, sent):
        item = f.item(sent, world.proposal, status="coi_blocked")
        assert post(world.reviewer, item, "decline").json() == {"detail": "Can only decline pending assignments."}


def enable_auto_reassign(w, attempts=3):
    config = w.call.assignment_config
    config.auto_reassign_on_decline, config.max_auto_reassign_attempts = True, attempts
    config.save()


def score(w, entry, proposal, value):
    return AffinityScore.objects.create(call=w.call, reviewer=entry.reviewer, proposal=proposal, affinity_score=value,
                                        method="combined", keyword_weight=0.4, text_weight=0.6)


@pytest.mark.django_db
class TestAutoReassign:
    def test_best_candidate_gets_a_sent_one_item_batch(self, world, item):
        enable_auto_reassign(world)
        good, better = other_entry(world), other_entry(world)
        score(world, good, world.proposal, 0.5)
        score(world, better, world.proposal, 0.7)
        assert post(world.reviewer, item, "decline").status_code == 200
        item.refresh_from_db()
        assert item.status == "reassigned"
        batch = AssignmentBatch.objects.get(reviewer_pool_entry=better)
        new = batch.items.get()
        assert (batch.status, new.status, new.reassigned_from, new.reassign_count, new.affinity_score) == (
            "sent", "pending", item, 1, 0.7)
        assert batch.expires_at - batch.sent_at == timedelta(days=7)  # the call's assignment_expiration_days
        assert OutboxMessage.objects.filter(template="reviewer_assignment_invitation").count() == 1
        assert "automatically reassigned" in OutboxMessage.objects.get(template="assignment_declined").body_text

    def test_nobody_eligible_leaves_the_item_declined(self, world, item):
        enable_auto_reassign(world)
        below = other_entry(world)
        score(world, below, world.proposal, 0.05)  # under the 0.1 threshold
        assert post(world.reviewer, item, "decline").status_code == 200
        assert AssignmentItem.objects.get(pk=item.pk).status == "declined"
        assert AssignmentBatch.objects.count() == 1

    def test_attempts_exhausted(self, world, sent):
        enable_auto_reassign(world, attempts=1)
        item = f.item(sent, world.proposal, reassign_count=1)
        score(world, other_entry(world), world.proposal, 0.9)
        assert post(world.reviewer, item, "decline").status_code == 200
        assert AssignmentItem.objects.get(pk=item.pk).status == "declined"
        assert "limit of 1" in OutboxMessage.objects.get(template="assignment_declined").body_text


@pytest.mark.django_db
class TestSuggestAlternatives:
    def test_ordering_and_shape(self, world, sent):
        item = f.item(sent, world.proposal, status="declined")
        full = other_entry(world, max_assignments=1)
        f.item(f.batch(full), world.proposal2)  # one open assignment: at its limit
        score(world, full, world.proposal, 0.99)
        high, low, unscored = other_entry(world), other_entry(world), other_entry(world)
        score(world, high, world.proposal, 0.8)
        score(world, low, world.proposal, 0.05)  # the threshold does not apply here
        team = other_entry(world)
        world.proposal.team.add(team.reviewer.user)
        bidder = other_entry(world)
        ReviewerBid.objects.create(reviewer=bidder.reviewer, proposal=world.proposal, bid="conflict")
        conflicted = other_entry(world)
        f.conflict(conflicted.reviewer, world.proposal)
        other_entry(world, status="pending")
        response = client_for(world.manager).get(url(item, "suggest_alternatives"))
        assert response.status_code == 200
        parsed = SuggestAlternativeReviewers.from_dict(response.json())
        assert [s.pool_entry_uuid.hex for s in parsed.suggestions] == [
            high.uuid.hex, low.uuid.hex, unscored.uuid.hex, full.uuid.hex]
        first = response.json()["suggestions"][0]
        assert first == {"pool_entry_uuid": high.uuid.hex, "reviewer_name": high.reviewer.user.full_name,
                         "affinity_score": 0.8, "current_assignments": 0, "max_assignments": 5}
        assert response.json()["suggestions"][2]["affinity_score"] is None
        assert response.json()["suggestions"][3]["current_assignments"] == 1

    def test_at_most_ten(self, world, sent):
        item = f.item(sent, world.proposal, status="expired")
        for _ in range(12):
            other_entry(world)
        assert len(client_for(world.staff).get(url(item, "suggest_alternatives")).json()["suggestions"]) == 10

    @pytest.mark.parametrize("status", ["pending", "accepted", "reassigned"])
    def test_guard(self, world, sent, status):
        item = f.item(sent, world.proposal, status=status)
        response = client_for(world.manager).get(url(item, "suggest_alternatives"))
        assert (response.status_code, response.json()) == (400, {
            "detail": "Alternatives can only be suggested for declined, expired or COI-blocked items."})

    @role_matrix({
        "anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 403, "support": 200, "staff": 200,
    })
    def test_roles(self, world, sent, role, expected):
        item = f.item(sent, world.proposal, status="declined")
        assert client_for(role_user(world, role)).get(url(item, "suggest_alternatives")).status_code == expected


@pytest.mark.django_db
class TestReassign:
    def test_reassign_into_the_targets_draft(self, world, sent):
        item = f.item(sent, world.proposal, status="declined", reassign_count=1)
        target = other_entry(world)
        draft = f.batch(target, source="algorithm")
        score(world, target, world.proposal, 0.6)
        body = {"reviewer_pool_entry_uuid": str(target.uuid), "manager_notes": "Please"}
        response = post(world.manager, item, "reassign", body)
        assert response.status_code == 200, response.content
        parsed = ReassignItemResponse.from_dict(response.json())
        new = AssignmentItem.objects.get(pool_entry=target)
        assert parsed.detail == "Assignment reassigned successfully."
        assert (parsed.new_item_uuid, parsed.new_batch_uuid) == (new.uuid, draft.uuid)
        assert response.json()["has_coi"] is False
        assert (new.batch, new.status, new.reassigned_from, new.reassign_count, new.affinity_score) == (
            draft, "pending", item, 2, 0.6)
        draft.refresh_from_db()
        assert (draft.manager_notes, draft.source, draft.status) == ("Please", "algorithm", "draft")
        assert AssignmentItem.objects.get(pk=item.pk).status == "reassigned"

    def test_new_draft_is_manual_and_blocked_pairs_are_coi_blocked(self, world, sent):
        item = f.item(sent, world.proposal, status="coi_blocked")
        target = other_entry(world, max_assignments=1)
        f.item(f.batch(target, status="sent"), world.proposal2)  # at its limit: a blocked item adds nothing
        f.conflict(target.reviewer, world.proposal)
        response = post(world.manager, item, "reassign", {"reviewer_pool_entry_uuid": target.uuid.hex})
        assert response.status_code == 200, response.content
        assert response.json()["has_coi"] is True
        batch = AssignmentBatch.objects.get(uuid=response.json()["new_batch_uuid"])
        new = batch.items.get()
        assert (batch.status, batch.source, batch.created_by) == ("draft", "manual", world.manager)
        assert (new.status, new.has_coi, new.affinity_score, new.coi_records.count()) == ("coi_blocked", True, None, 1)

    @pytest.mark.parametrize("status", ["pending", "accepted", "reassigned"])
    def test_state_guard(self, world, sent, status):
        item = f.item(sent, world.proposal, status=status)
        response = post(world.manager, item, "reassign", {"reviewer_pool_entry_uuid": other_entry(world).uuid.hex})
        assert (response.status_code, response.json()) == (400, {
            "detail": "Only declined, expired or COI-blocked items can be reassigned."})

    def test_target_field_errors(self, world, sent):
        item = f.item(sent, world.proposal, status="declined")
        not_found = "Pool entry not found or not eligible for assignments."
        foreign = f.pool_entry(world.other_call, f.profile(f.user()))
        team = other_entry(world)
        world.proposal.team.add(team.reviewer.user)
        bidder = other_entry(world)
        ReviewerBid.objects.create(reviewer=bidder.reviewer, proposal=world.proposal, bid="conflict")
        cases = [
            ({}, "This field is required."), ({"reviewer_pool_entry_uuid": "nope"}, None),
            ({"reviewer_pool_entry_uuid": "1" * 32}, not_found),
            ({"reviewer_pool_entry_uuid": world.entry.uuid.hex}, not_found),  # the same reviewer
            ({"reviewer_pool_entry_uuid": foreign.uuid.hex}, not_found),
            ({"reviewer_pool_entry_uuid": other_entry(world, status="pending").uuid.hex}, not_found),
            ({"reviewer_pool_entry_uuid": team.uuid.hex}, "Reviewer is a member of the proposal team"),
            ({"reviewer_pool_entry_uuid": bidder.uuid.hex}, "Reviewer declared a conflict for this proposal"),
        ]
        for body, message in cases:
            response = post(world.manager, item, "reassign", body)
            assert response.status_code == 400 and list(response.json()) == ["reviewer_pool_entry_uuid"], body
            if message:
                assert response.json()["reviewer_pool_entry_uuid"] == [message]
        for bad in ({"manager_notes": "x" * 5001}, {"override_workload_limit": "perhaps"}):
            response = post(world.manager, item, "reassign", {"reviewer_pool_entry_uuid": team.uuid.hex, **bad})
            assert response.status_code == 400 and list(response.json()) == list(bad)
        assert AssignmentItem.objects.get(pk=item.pk).status == "declined"

    def test_already_assigned_and_closed_proposal(self, world, sent):
        item = f.item(sent, world.proposal, status="declined")
        target = other_entry(world)
        f.item(f.batch(target, status="expired"), world.proposal, status="expired")
        response = post(world.manager, item, "reassign", {"reviewer_pool_entry_uuid": target.uuid.hex})
        assert response.json() == {"detail": "This reviewer already has this proposal assigned."}
        cancelled = other_entry(world)
        f.item(f.batch(cancelled, status="cancelled"), world.proposal, status="expired")  # re-offerable
        world.proposal.state = "rejected"
        world.proposal.save()
        response = post(world.manager, item, "reassign", {"reviewer_pool_entry_uuid": cancelled.uuid.hex})
        assert response.json() == {"detail": "Proposal is no longer open for review."}
        world.proposal.state = "in_review"
        world.proposal.save()
        response = post(world.manager, item, "reassign", {"reviewer_pool_entry_uuid": cancelled.uuid.hex})
        assert response.status_code == 200

    def test_workload(self, world, sent):
        item = f.item(sent, world.proposal, status="expired")
        target = other_entry(world, max_assignments=1)
        Review.objects.create(proposal=world.proposal2, reviewer=target.reviewer.user)  # one open assignment
        body = {"reviewer_pool_entry_uuid": target.uuid.hex}
        response = post(world.manager, item, "reassign", body)
        assert (response.status_code, response.json()) == (400, {"override_workload_limit": [WORKLOAD]})
        assert not AssignmentItem.objects.filter(pool_entry=target).exists()
        response = post(world.manager, item, "reassign", {**body, "override_workload_limit": True})
        assert response.status_code == 200
        event = AuditEvent.objects.get(event_type="REVIEWER_WORKLOAD_LIMIT_OVERRIDDEN")
        assert (event.object_uuid, event.actor) == (target.uuid, world.manager)

    @role_matrix(MANAGER_REFUSED)
    def test_roles(self, world, sent, role, expected):
        item = f.item(sent, world.proposal, status="declined")
        body = {"reviewer_pool_entry_uuid": other_entry(world).uuid.hex}
        assert post(role_user(world, role), item, "reassign", body).status_code == expected
        assert post(world.staff, item, "reassign", body).status_code == 200
