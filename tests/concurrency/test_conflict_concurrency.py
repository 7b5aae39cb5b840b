"""Real concurrent COI actions on PostgreSQL (§7): the pair's rows are locked entry → batch →
item → review → COI, so racing requests end in one consistent state, never a 500 or a deadlock."""


import pytest

from referee.reviews.models import Review
from tests import factories as f
from tests.helpers import ROUNDS, client_for, race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def post(user, conflict, action, data=None):
    client = client_for(user)
    return lambda: client.post(f"/api/conflicts-of-interest/{conflict.uuid.hex}/{action}/", data or {}, format="json")


def cancel(user, batch):
    client = client_for(user)
    return lambda: client.post(f"/api/assignment-batches/{batch.uuid.hex}/cancel/", {}, format="json")


def test_dismiss_racing_recuse(world):
    for _ in range(ROUNDS):
        proposal = f.proposal(world.round)
        item = f.item(f.batch(world.entry, status="sent"), proposal, status="coi_blocked")
        conflict = f.conflict(world.profile, proposal, rule="management_allowed")
        dismissed, recused = race(post(world.manager, conflict, "dismiss"), post(world.staff, conflict, "recuse"))
        # Either order ends recused and blocked: a dismissed conflict may still be recused, not the reverse.
        assert recused.status_code == 200, recused.content
        refused = {"detail": "Only pending conflicts can be dismissed."}
        assert dismissed.status_code == 200 or dismissed.json() == refused
        conflict.refresh_from_db()
        item.refresh_from_db()
        assert (conflict.status, item.status, item.has_coi) == ("recused", "coi_blocked", True)


def test_two_managers_waiving(world):
    for _ in range(ROUNDS):
        conflict = f.conflict(world.profile, f.proposal(world.round), rule="management_allowed")
        body = {"management_plan": "Plan"}
        responses = race(post(world.manager, conflict, "waive", body), post(world.staff, conflict, "waive", body))
        assert sorted(r.status_code for r in responses) == [200, 400]


def test_recuse_racing_batch_cancel(world):
    for _ in range(ROUNDS):
        proposal = f.proposal(world.round)
        batch = f.batch(world.entry, status="sent")
        review = Review.objects.create(proposal=proposal, reviewer=world.reviewer)
        accepted = f.item(batch, proposal, status="accepted", review=review)
        pending = f.item(batch, f.proposal(world.round))
        conflict = f.conflict(world.profile, proposal, rule="management_allowed")
        recused, cancelled = race(post(world.manager, conflict, "recuse"), cancel(world.staff, batch))
        assert recused.status_code == 200 and cancelled.status_code == 200, (recused.content, cancelled.content)
        for row in (batch, accepted, pending, review):
            row.refresh_from_db()
        # Cancel first keeps the accepted item for the recusal to block; recusal first blocks it and
        # the cancel then expires it with the other unanswered items (§4.1).
        assert (batch.status, pending.status, review.state) == ("cancelled", "expired", "rejected")
        assert accepted.status in ("coi_blocked", "expired") and accepted.has_coi is (accepted.status == "coi_blocked")
