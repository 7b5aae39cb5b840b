"""Pool invitation expiry (§4.3) and overdue review rejection (§4.5) at their boundaries, on a
frozen clock."""

from datetime import timedelta

import pytest

from referee.reviewers import domain as pool
from referee.reviewers.jobs import expire_pool_invitations
from referee.reviews.jobs import reject_overdue_reviews
from referee.reviews.models import Review
from tests import factories as f
from tests.helpers import NOW, events, outbox

pytestmark = pytest.mark.django_db
SECOND, DAY = timedelta(seconds=1), timedelta(days=1)
EXPIRES = NOW + 7 * DAY
POOL_EXPIRED = "reviewer_pool_invitation_expired"


@pytest.fixture
def invited(world, clock):
    """A pending invitation sent by the manager at NOW, expiring NOW + 7 days."""
    [entry] = pool.invite_reviewers(world.call, actor=world.manager, reviewer_uuids=[f.profile(f.user()).uuid])
    assert entry.invitation_expires_at == EXPIRES
    return entry


def status(entry):
    entry.refresh_from_db()
    return entry.invitation_status


class TestPoolExpiry:
    def test_not_one_second_before(self, invited, clock):
        clock.move_to(EXPIRES - SECOND)
        assert expire_pool_invitations() == 0 and status(invited) == "pending"

    def test_at_the_expiry_once_with_one_notice_to_the_inviter(self, invited, clock, world):
        clock.move_to(EXPIRES)
        assert expire_pool_invitations() == 1
        assert expire_pool_invitations() == 0
        assert status(invited) == "expired" and invited.expiry_notified is True
        [notice] = outbox(POOL_EXPIRED)
        assert notice.to == [world.manager.email]
        [event] = events("POOL_INVITATION_EXPIRED")
        assert (event.from_state, event.to_state, event.call) == ("pending", "expired", world.call)

    def test_without_an_inviter_the_managers_are_told(self, world, clock):
        second = f.user("second")
        world.call.managers.add(second)
        entry = f.pool_entry(world.call, f.profile(f.user()), status="pending", invitation_expires_at=NOW)
        assert expire_pool_invitations() == 1
        assert outbox(POOL_EXPIRED)[0].to == [world.manager.email, second.email]
        assert status(entry) == "expired"

    def test_answered_or_open_ended_invitations_stay(self, world, clock):
        entries = [f.pool_entry(world.call, f.profile(f.user()), status=s, invitation_expires_at=NOW - DAY)
                   for s in ("accepted", "declined", "expired")]
        open_ended = f.pool_entry(world.call, f.profile(f.user()), status="pending", invitation_expires_at=None)
        assert expire_pool_invitations() == 0
        assert [status(e) for e in entries] == ["accepted", "declined", "expired"]
        assert status(open_ended) == "pending" and outbox(POOL_EXPIRED) == []

    def test_a_resent_invitation_expires_again_with_a_new_notice(self, invited, clock, world):
        clock.move_to(EXPIRES)
        expire_pool_invitations()
        entry = pool.resend_invitation(invited, actor=world.manager)
        assert (entry.invitation_status, entry.expiry_notified) == ("pending", False)
        assert expire_pool_invitations() == 0
        clock.move_to(EXPIRES + 7 * DAY)
        assert expire_pool_invitations() == 1
        assert len(outbox(POOL_EXPIRED)) == 2


@pytest.fixture
def timed(world, clock):
    """A review round with a 5-day review duration (the world's proposals are in it)."""
    world.round.review_duration_in_days = 5
    world.round.save()
    return world


def review(world, proposal=None, **kwargs):
    return Review.objects.create(proposal=proposal or world.proposal, reviewer=world.reviewer, **kwargs)


def state(obj):
    obj.refresh_from_db()
    return obj.state


class TestOverdueReviews:
    def test_rejected_exactly_at_the_review_end_date(self, timed, clock):
        r = review(timed)
        clock.move_to(NOW + 5 * DAY - SECOND)
        assert reject_overdue_reviews() == 0 and state(r) == "in_review"
        clock.move_to(NOW + 5 * DAY)
        assert reject_overdue_reviews() == 1
        assert reject_overdue_reviews() == 0
        assert state(r) == "rejected"
        [event] = events("REVIEW_REJECTED")
        assert (event.from_state, event.to_state, event.context["reason"]) == ("in_review", "rejected", "deadline")
        assert event.call == timed.call

    def test_a_review_from_an_item_waits_for_its_batch_deadline(self, timed, clock):
        r = review(timed)
        batch = f.batch(timed.entry, status="sent", expires_at=NOW + 8 * DAY)
        f.item(batch, timed.proposal, status="accepted", review=r)
        clock.move_to(NOW + 8 * DAY - SECOND)
        assert reject_overdue_reviews() == 0 and state(r) == "in_review"
        batch.expires_at = NOW + 9 * DAY  # an extension moves the review's end too
        batch.save()
        clock.move_to(NOW + 8 * DAY)
        assert reject_overdue_reviews() == 0
        clock.move_to(NOW + 9 * DAY)
        assert reject_overdue_reviews() == 1 and state(r) == "rejected"

    def test_an_earlier_batch_deadline_does_not_shorten_it(self, timed, clock):
        r = review(timed)
        f.item(f.batch(timed.entry, status="sent", expires_at=NOW + DAY), timed.proposal, status="accepted", review=r)
        clock.move_to(NOW + 5 * DAY - SECOND)
        assert reject_overdue_reviews() == 0
        clock.move_to(NOW + 5 * DAY)
        assert reject_overdue_reviews() == 1

    def test_no_duration_no_deadline_and_only_in_review(self, world, timed, clock):
        untimed = f.proposal(f.round_(world.call, review_duration_in_days=None))
        kept = [review(timed, untimed), review(timed, timed.proposal, state="submitted"),
                review(timed, timed.proposal2, state="rejected")]
        clock.move_to(NOW + 365 * DAY)
        assert reject_overdue_reviews() == 0
        assert [state(r) for r in kept] == ["in_review", "submitted", "rejected"]

    def test_rounds_with_different_durations(self, world, timed, clock):
        short = review(timed)
        long_round = f.round_(world.call, review_duration_in_days=10)
        long = review(timed, f.proposal(long_round))
        clock.move_to(NOW + 5 * DAY)
        assert reject_overdue_reviews() == 1
        assert (state(short), state(long)) == ("rejected", "in_review")
        clock.move_to(NOW + 10 * DAY)
        assert reject_overdue_reviews() == 1 and state(long) == "rejected"
