"""Item actions as domain functions (§4.2, §5.6): what they write, audit and mail, and the
choices auto-reassign and suggest_alternatives make."""

from datetime import timedelta

import pytest

from referee.assignments import domain
from referee.assignments.models import AffinityScore, AssignmentBatch, AssignmentItem
from referee.core.errors import DomainError, FieldError
from referee.notifications.models import OutboxMessage
from referee.reviewers.models import ReviewerBid
from referee.reviews import domain as reviews
from referee.reviews.models import Review
from tests import factories as f
from tests.helpers import NOW, events


def entry(w, **kwargs):
    return f.pool_entry(w.call, f.profile(f.user()), **kwargs)


def score(w, pool_entry, value, proposal=None):
    AffinityScore.objects.create(call=w.call, reviewer=pool_entry.reviewer, proposal=proposal or w.proposal,
                                 affinity_score=value, method="combined", keyword_weight=0.4, text_weight=0.6)


def auto(w, attempts=3):
    config = w.call.assignment_config
    config.auto_reassign_on_decline, config.max_auto_reassign_attempts = True, attempts
    config.save()


@pytest.mark.django_db
class TestAccept:
    def test_writes_review_item_batch_and_audit(self, world, clock):
        batch = f.batch(world.entry, status="sent")
        item = f.item(batch, world.proposal)
        review = domain.accept_item(item, actor=world.reviewer)
        item.refresh_from_db()
        batch.refresh_from_db()
        assert (item.status, item.review, item.responded_at) == ("accepted", review, NOW)
        assert (batch.status, batch.responded_at) == ("responded", NOW)
        assert [e.to_state for e in events("ASSIGNMENT_ITEM_ACCEPTED")] == ["accepted"]
        assert events("REVIEW_CREATED")[0].object_uuid == review.uuid
        assert events("ASSIGNMENT_BATCH_RESPONDED")[0].actor == world.reviewer

    def test_relinks_an_item_unblocked_after_a_recusal(self, world):
        old = Review.objects.create(proposal=world.proposal, reviewer=world.reviewer, state="rejected")
        item = f.item(f.batch(world.entry, status="sent"), world.proposal, review=old)
        review = domain.accept_item(item, actor=world.reviewer)
        assert AssignmentItem.objects.get(pk=item.pk).review == review != old

    def test_draft_batch_is_not_answerable(self, world):
        item = f.item(f.batch(world.entry), world.proposal)
        with pytest.raises(DomainError, match="Can only accept pending assignments."):
            domain.accept_item(item, actor=world.reviewer)


@pytest.mark.django_db(transaction=True)
def test_accept_commits_the_coi_block_before_refusing(world):
    """Outside any test transaction: the block is committed by accept's own transaction and
    survives the DomainError raised after it."""
    item = f.item(f.batch(world.entry, status="sent"), world.proposal)
    conflict = f.conflict(world.profile, world.proposal)
    with pytest.raises(DomainError, match="unresolved COI"):
        domain.accept_item(item, actor=world.reviewer)
    item.refresh_from_db()
    assert (item.status, item.has_coi, list(item.coi_records.all())) == ("coi_blocked", True, [conflict])
    assert AssignmentBatch.objects.get(pk=item.batch_id).status == "responded"
    assert len(events("ASSIGNMENT_ITEM_COI_BLOCKED")) == 1


@pytest.mark.django_db
class TestDecline:
    def test_without_auto_reassign(self, world, clock):
        item = f.item(f.batch(world.entry, status="sent"), world.proposal)
        assert domain.decline_item(item, actor=world.reviewer, reason="Busy") is None
        item.refresh_from_db()
        assert (item.status, item.decline_reason, item.responded_at) == ("declined", "Busy", NOW)
        mail = OutboxMessage.objects.get(template="assignment_declined")
        assert "Automatic reassignment is off" in mail.body_text and mail.dedupe_key == f"decline:{item.uuid.hex}"

    def test_auto_reassign_picks_the_highest_score_with_bids(self, world, clock):
        auto(world)
        plain, eager = entry(world), entry(world)
        score(world, plain, 0.6)
        score(world, eager, 0.5)
        ReviewerBid.objects.create(reviewer=eager.reviewer, proposal=world.proposal, bid="eager")  # s = 0.8
        item = f.item(f.batch(world.entry, status="sent"), world.proposal)
        assert domain.decline_item(item, actor=world.reviewer) == eager
        batch = AssignmentBatch.objects.get(reviewer_pool_entry=eager)
        assert batch.items.get().call_id == world.call.pk  # the successor holds its batch's call
        assert (batch.status, batch.sent_at, batch.expires_at, batch.source) == (
            "sent", NOW, NOW + timedelta(days=7), "algorithm")
        assert events("ASSIGNMENT_ITEM_REASSIGNED")[0].object_uuid == item.uuid
        invitation = OutboxMessage.objects.get(template="reviewer_assignment_invitation")
        assert eager.reviewer.user.email in invitation.to

    def test_bids_are_ignored_when_the_call_says_so(self, world):
        auto(world)
        world.call.matching_config.use_reviewer_bids = False
        world.call.matching_config.save()
        plain, eager = entry(world), entry(world)
        score(world, plain, 0.6)
        score(world, eager, 0.5)
        ReviewerBid.objects.create(reviewer=eager.reviewer, proposal=world.proposal, bid="eager")
        item = f.item(f.batch(world.entry, status="sent"), world.proposal)
        assert domain.decline_item(item, actor=world.reviewer) == plain

    def test_ties_go_to_the_earliest_invitation(self, world, clock):
        auto(world)
        late = entry(world, invited_at=NOW - timedelta(days=1))
        early = entry(world, invited_at=NOW - timedelta(days=2))
        for candidate in (late, early):
            score(world, candidate, 0.5)
        item = f.item(f.batch(world.entry, status="sent"), world.proposal)
        assert domain.decline_item(item, actor=world.reviewer) == early

    def test_exclusions(self, world):
        """Full, conflicted, team, conflict bid, already assigned, unscored, below threshold: nobody."""
        auto(world)
        full = entry(world, max_assignments=1)
        f.item(f.batch(full, status="sent"), world.proposal2)
        conflicted, team, bidder, holder, _unscored, low = (entry(world) for _ in range(6))
        f.conflict(conflicted.reviewer, world.proposal)
        world.proposal.team.add(team.reviewer.user)
        ReviewerBid.objects.create(reviewer=bidder.reviewer, proposal=world.proposal, bid="conflict")
        f.item(f.batch(holder, status="expired"), world.proposal, status="expired")
        for candidate in (full, conflicted, team, bidder, holder):
            score(world, candidate, 0.9)
        score(world, low, 0.09)
        entry(world, status="declined")
        item = f.item(f.batch(world.entry, status="sent"), world.proposal)
        assert domain.decline_item(item, actor=world.reviewer) is None
        assert AssignmentItem.objects.get(pk=item.pk).status == "declined"
        assert "No eligible reviewer" in OutboxMessage.objects.get(template="assignment_declined").body_text

    def test_a_pair_expired_in_a_cancelled_batch_may_be_offered_again(self, world):
        auto(world)
        again = entry(world)
        f.item(f.batch(again, status="cancelled"), world.proposal, status="expired")
        score(world, again, 0.4)
        item = f.item(f.batch(world.entry, status="sent"), world.proposal)
        assert domain.decline_item(item, actor=world.reviewer) == again

    def test_chain_stops_at_the_limit(self, world):
        auto(world, attempts=2)
        second, third, fourth = entry(world), entry(world), entry(world)
        for candidate, value in ((second, 0.9), (third, 0.8), (fourth, 0.7)):
            score(world, candidate, value)
        item = f.item(f.batch(world.entry, status="sent"), world.proposal)
        assert domain.decline_item(item, actor=world.reviewer) == second
        item = AssignmentItem.objects.get(pool_entry=second)
        assert domain.decline_item(item, actor=second.reviewer.user) == third
        item = AssignmentItem.objects.get(pool_entry=third)
        assert item.reassign_count == 2
        assert domain.decline_item(item, actor=third.reviewer.user) is None


@pytest.mark.django_db
class TestReassignAndSuggestions:
    def test_blocked_target_item_adds_no_workload(self, world):
        item = f.item(f.batch(world.entry, status="sent"), world.proposal, status="declined")
        target = entry(world, max_assignments=1)
        f.item(f.batch(target, status="sent"), world.proposal2)
        f.conflict(target.reviewer, world.proposal)
        new = domain.reassign_item(item, actor=world.manager, reviewer_pool_entry_uuid=target.uuid)
        assert new.status == "coi_blocked" and not events("REVIEWER_WORKLOAD_LIMIT_OVERRIDDEN")

    def test_suggestion_ties(self, world):
        item = f.item(f.batch(world.entry, status="sent"), world.proposal, status="expired")
        busy = entry(world)
        f.item(f.batch(busy), world.proposal2)
        idle = entry(world)
        zed, abe = f.pool_entry(world.call, f.profile(f.user(first_name="Zed"))), f.pool_entry(
            world.call, f.profile(f.user(first_name="Abe")))
        for candidate in (busy, idle, zed, abe):
            score(world, candidate, 0.5)
        # Equal affinities: the lighter workload first, then by name ("Abe", "User…", "Zed").
        assert [c.entry for c in domain.suggest_alternatives(item)] == [abe, idle, zed, busy]

    def test_closed_proposal_has_no_alternatives(self, world):
        item = f.item(f.batch(world.entry, status="sent"), world.proposal, status="declined")
        entry(world)
        world.proposal.state = "canceled"
        world.proposal.save()
        assert domain.suggest_alternatives(item) == []


@pytest.mark.django_db
class TestForceUnblock:
    def test_blank_reason_is_a_field_error(self, world):
        item = f.item(f.batch(world.entry), world.proposal, status="coi_blocked")
        with pytest.raises(FieldError) as refused:
            domain.force_unblock(item, actor=world.manager, override_reason="  ")
        assert refused.value.field == "override_reason"

    def test_audit_and_records(self, world, clock):
        item = f.item(f.batch(world.entry, status="sent"), world.proposal, status="coi_blocked")
        conflict = f.conflict(world.profile, world.proposal, rule="management_allowed", coi_type="ROLE_NAMED",
                              severity="real")
        domain.force_unblock(item, actor=world.manager, override_reason="Panel decision")
        item.refresh_from_db()
        assert (item.status, item.override_reason, item.overridden_by, item.overridden_at) == (
            "pending", "Panel decision", world.manager, NOW)
        (event,) = events("ASSIGNMENT_ITEM_FORCE_UNBLOCKED")
        assert event.message == "Panel decision" and event.context["waived"] == [conflict.uuid.hex]
        assert [e.object_uuid for e in events("COI_WAIVED")] == [conflict.uuid]


@pytest.mark.django_db
class TestReviews:
    def test_review_deadline(self, world):
        world.round.review_duration_in_days = 3
        world.round.save()
        review = Review.objects.create(proposal=world.proposal, reviewer=world.reviewer)
        assert reviews.review_deadline(review) == review.created + timedelta(days=3)
        batch = f.batch(world.entry, status="responded", expires_at=review.created + timedelta(days=9))
        f.item(batch, world.proposal, status="accepted", review=review)
        assert reviews.review_deadline(review) == batch.expires_at

    def test_submit_without_coi_confirmation_keeps_it_unset(self, world):
        review = Review.objects.create(proposal=world.proposal, reviewer=world.reviewer)
        reviews.submit_review(review, actor=world.reviewer, summary_score=4)
        review.refresh_from_db()
        assert (review.state, review.summary_score, review.coi_confirmed, review.coi_confirmed_at) == (
            "submitted", 4, False, None)
