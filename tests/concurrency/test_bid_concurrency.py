"""Bulk and single bid submits at once on PostgreSQL (§3.9, §7): both lock the caller's pool
entries before their bids, so "created or updated" never races into a duplicate bid or a 500."""

import pytest

from referee.core.models import AuditEvent
from referee.reviewers.models import ReviewerBid
from tests import factories as f
from tests.helpers import ROUNDS, client_for, race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def post(user, action, body):
    client = client_for(user)
    return lambda: client.post(f"/api/reviewer-bids/{action}/", body, format="json")


def bulk(user, *proposals):
    return post(user, "bulk-submit", {"bids": [{"proposal_uuid": p.uuid.hex, "bid": "eager"} for p in proposals]})


def test_a_bulk_submit_racing_a_single_submit_of_the_same_proposal(world):
    for _ in range(ROUNDS):
        proposal, other = f.proposal(world.round), f.proposal(world.round)
        single = post(world.reviewer, "submit", {"proposal_uuid": proposal.uuid.hex, "bid": "willing"})
        in_bulk, alone = race(bulk(world.reviewer, other, proposal), single)
        assert (in_bulk.status_code, alone.status_code) == (200, 200), (in_bulk.content, alone.content)
        assert in_bulk.json() == {"submitted": 2, "errors": None}
        # Whichever came second found the other's bid and updated it.
        assert ReviewerBid.objects.filter(proposal=proposal).count() == 1
        assert sorted(AuditEvent.objects.filter(object_uuid=ReviewerBid.objects.get(proposal=proposal).uuid)
                      .values_list("event_type", flat=True)) == ["REVIEWER_BID_SUBMITTED", "REVIEWER_BID_UPDATED"]


def test_two_bulk_submits_naming_two_calls_in_opposite_orders(world):
    """Pool entries and bids are locked in primary-key order, whatever the bodies' order: no deadlock."""
    f.pool_entry(world.other_call, world.profile)
    second_round = f.round_(world.other_call)
    for _ in range(ROUNDS):
        here, there = f.proposal(world.round), f.proposal(second_round)
        responses = race(bulk(world.reviewer, here, there), bulk(world.reviewer, there, here))
        assert [r.json() for r in responses] == [{"submitted": 2, "errors": None}] * 2
        assert ReviewerBid.objects.filter(proposal__in=[here, there]).count() == 2
