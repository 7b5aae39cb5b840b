"""Real concurrent requests on item actions and reviews (§7, PostgreSQL): row locks and the
§2 constraints make racing requests end in one consistent state, never a 500 or a deadlock.

Each thread uses its own database connection and closes it at the end (see `race`); each race
runs several rounds on fresh rows."""

import pytest

from referee.assignments.models import AffinityScore, AssignmentBatch, AssignmentItem
from referee.reviews.models import Review
from tests import factories as f
from tests.concurrency.test_batch_concurrency import post
from tests.helpers import ROUNDS, race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

NOT_PENDING = {"detail": "Can only accept pending assignments."}


def item_path(item, action):
    return f"/api/assignment-items/{item.uuid.hex}/{action}/"


def sent_item(world, extra_items=0):
    batch = f.batch(world.entry, status="sent")
    item = f.item(batch, f.proposal(world.round))
    for _ in range(extra_items):
        f.item(batch, f.proposal(world.round))
    return batch, item


def test_twenty_simultaneous_accepts_of_one_item(world):
    for _ in range(ROUNDS):
        batch, item = sent_item(world)
        responses = race(*(post(world.reviewer, item_path(item, "accept")) for _ in range(20)))
        codes = sorted(r.status_code for r in responses)
        assert codes == [200] + [400] * 19, [r.content for r in responses if r.status_code not in (200, 400)]
        assert all(r.json() == NOT_PENDING for r in responses if r.status_code == 400)
        item.refresh_from_db()
        review = Review.objects.get(proposal=item.proposal)
        assert (item.status, item.review) == ("accepted", review)
        winner = next(r for r in responses if r.status_code == 200)
        assert winner.json()["review_uuid"] == review.uuid.hex
        assert AssignmentBatch.objects.get(pk=batch.pk).status == "responded"


def test_accept_racing_decline(world):
    for _ in range(ROUNDS):
        _, item = sent_item(world)
        accepted, declined = race(post(world.reviewer, item_path(item, "accept")),
                                  post(world.reviewer, item_path(item, "decline"), {"reason": "busy"}))
        assert sorted([accepted.status_code, declined.status_code]) == [200, 400]
        item.refresh_from_db()
        reviews = Review.objects.filter(proposal=item.proposal).count()
        if accepted.status_code == 200:
            assert declined.json() == {"detail": "Can only decline pending assignments."}
            assert (item.status, reviews, item.decline_reason) == ("accepted", 1, "")
        else:
            assert accepted.json() == NOT_PENDING
            assert (item.status, reviews, item.decline_reason) == ("declined", 0, "busy")


def assert_too_late(accepted):
    """The cancel won: refused under the lock (400), or, when the cancel had committed before the
    accept looked the item up, not found (a reviewer does not see cancelled batches, §3.1)."""
    assert (accepted.status_code, accepted.json()) in [(400, {"detail": "Cannot accept expired assignment."}),
                                                       (404, {"detail": "Not found."})]


def test_accept_racing_cancel_of_a_batch_with_other_items(world):
    for _ in range(ROUNDS):
        batch, item = sent_item(world, extra_items=1)
        accepted, cancelled = race(post(world.reviewer, item_path(item, "accept")),
                                   post(world.manager, f"/api/assignment-batches/{batch.uuid.hex}/cancel/"))
        assert cancelled.status_code == 200, cancelled.content
        item.refresh_from_db()
        batch.refresh_from_db()
        assert batch.status == "cancelled"
        if accepted.status_code == 200:  # accepted first: the cancel keeps it and its review
            assert (item.status, Review.objects.filter(proposal=item.proposal).count()) == ("accepted", 1)
        else:
            assert_too_late(accepted)
            assert (item.status, Review.objects.filter(proposal=item.proposal).exists()) == ("expired", False)
        assert set(batch.items.exclude(pk=item.pk).values_list("status", flat=True)) == {"expired"}


def test_accept_racing_cancel_of_a_one_item_batch(world):
    for _ in range(ROUNDS):
        batch, item = sent_item(world)
        accepted, cancelled = race(post(world.reviewer, item_path(item, "accept")),
                                   post(world.manager, f"/api/assignment-batches/{batch.uuid.hex}/cancel/"))
        batch.refresh_from_db()
        item.refresh_from_db()
        if accepted.status_code == 200:  # the batch responded, which is terminal
            assert (cancelled.status_code, cancelled.json()) == (
                400, {"detail": "Only draft or sent batches can be cancelled."})
            assert (batch.status, item.status) == ("responded", "accepted")
        else:
            assert cancelled.status_code == 200
            assert_too_late(accepted)
            assert (batch.status, item.status) == ("cancelled", "expired")


def test_accept_racing_direct_review_creation(world):
    for _ in range(ROUNDS):
        _, item = sent_item(world)
        body = {"proposal": item.proposal.uuid.hex, "reviewer": world.reviewer.uuid.hex,
                "override_workload_limit": True}
        accepted, created = race(post(world.reviewer, item_path(item, "accept")),
                                 post(world.manager, "/api/proposal-reviews/", body))
        assert sorted([accepted.status_code, created.status_code]) in ([200, 400], [201, 400])
        assert Review.objects.filter(proposal=item.proposal, state="in_review").count() == 1
        if accepted.status_code == 200:
            assert created.json() == {"detail": "Reviewer already has an active review for this proposal."}
        else:
            assert accepted.json() == {"detail": "You already have an active review for this proposal."}
            assert AssignmentItem.objects.get(pk=item.pk).status == "pending"


def test_concurrent_declines_respect_the_targets_capacity(world):
    """Two declines in one call, one candidate with room for one more: auto-reassign gives it
    exactly one item (the call lock serialises the capacity checks)."""
    config = world.call.assignment_config
    config.auto_reassign_on_decline = True
    config.save()
    for _ in range(ROUNDS):
        candidate = f.pool_entry(world.call, f.profile(f.user()), max_assignments=1)
        second = f.pool_entry(world.call, f.profile(f.user()))
        first_item = sent_item(world)[1]
        second_item = f.item(f.batch(second, status="sent"), f.proposal(world.round))
        for item in (first_item, second_item):
            AffinityScore.objects.create(call=world.call, reviewer=candidate.reviewer, proposal=item.proposal,
                                         affinity_score=0.9, method="combined", keyword_weight=0.4, text_weight=0.6)
        responses = race(post(world.reviewer, item_path(first_item, "decline")),
                         post(second.reviewer.user, item_path(second_item, "decline")))
        assert [r.status_code for r in responses] == [200, 200]
        assert AssignmentItem.objects.filter(pool_entry=candidate).count() == 1
        statuses = sorted(AssignmentItem.objects.filter(pk__in=[first_item.pk, second_item.pk])
                          .values_list("status", flat=True))
        assert statuses == ["declined", "reassigned"]


def test_concurrent_direct_creations_of_one_review(world):
    body = {"reviewer": world.reviewer.uuid.hex, "override_workload_limit": True}
    for _ in range(ROUNDS):
        proposal = f.proposal(world.round)
        data = {**body, "proposal": proposal.uuid.hex}
        responses = race(*(post(user, "/api/proposal-reviews/", data) for user in (world.manager, world.staff) * 5))
        assert sorted(r.status_code for r in responses) == [201] + [400] * 9
        assert Review.objects.filter(proposal=proposal).count() == 1
