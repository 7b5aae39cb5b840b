"""Counts of the lists kept by triggers (referee.api.row_counts: batches, items, events, reviews,
pool entries, bids, conflicts, proposed assignments, proposals): with no filter, `X-Result-Count`
comes from the counters and must equal the exact count of what the caller sees, for every role, after rows
are created and deleted (cascades included), and after concurrent writers (some rolled back) on
PostgreSQL; a counted row is refused a move to another call. A filtered list is counted with
COUNT(*), as before."""

import threading

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from referee.assignments.models import AssignmentBatch, AssignmentItem, ProposedAssignment
from referee.calls.models import Proposal
from referee.conflicts.models import ConflictOfInterest
from referee.core import audit
from referee.core.models import AuditEvent, RowCount
from referee.reviewers.models import CallReviewerPool, ReviewerBid
from referee.reviews.models import Review
from tests import factories as f
from tests.helpers import client_for

LISTS = {"/api/assignment-batches/": AssignmentBatch, "/api/assignment-items/": AssignmentItem,
         "/api/events/": AuditEvent, "/api/proposal-reviews/": Review, "/api/call-reviewer-pools/": CallReviewerPool,
         "/api/reviewer-bids/": ReviewerBid, "/api/conflicts-of-interest/": ConflictOfInterest,
         "/api/proposed-assignments/": ProposedAssignment, "/api/proposal-proposals/": Proposal}
ROLES = ["staff", "support", "manager", "other_manager", "reviewer", "stranger"]


def result_count(user, url, **params) -> int:
    response = client_for(user).get(url, params)
    assert response.status_code == 200, response.content
    return int(response["X-Result-Count"])


def assert_counts(world):
    """Every counted list, for every role, unfiltered and filtered, says the exact count."""
    for role in ROLES:
        user = type(getattr(world, role)).objects.get(pk=getattr(world, role).pk)  # fresh: calls are cached
        for url, model in LISTS.items():
            exact = model.objects.visible_to(user).count()
            assert result_count(user, url) == exact, (role, url)
            assert result_count(user, url, page=1, page_size=1) == exact, (role, url)
    if connection.vendor == "postgresql":
        for model in LISTS.values():
            kept = RowCount.objects.filter(table_name=model._meta.db_table).aggregate(n=Sum("n"))["n"] or 0
            assert kept == model.objects.count(), model


def rows(world):
    """Batches and items in both calls, the manager also a reviewer in the other call (their own
    rows outside the calls they manage), and events with and without a call; reviews, bids,
    conflicts and proposed assignments of both calls' reviewers (the manager's among them)."""
    batches = [f.batch(world.entry, status="sent"), f.batch(world.entry)]
    for batch in batches:
        f.item(batch, f.proposal(world.round))
        f.item(batch, f.proposal(world.round))
    other_round = f.round_(world.other_call)
    own_entry = f.pool_entry(world.other_call, f.profile(world.manager))
    other = f.batch(own_entry, status="sent")
    f.item(other, f.proposal(other_round))
    f.item(f.batch(own_entry), f.proposal(other_round))
    audit.record_many([audit.event("x.done", batch) for batch in batches] + [audit.event("x.done", other)])
    audit.record("user.created", world.stranger, call=None)
    for entry, proposal in ((world.entry, world.proposal), (own_entry, other.items.first().proposal)):
        reviewer = entry.reviewer
        Review.objects.create(proposal=proposal, reviewer=reviewer.user)
        ReviewerBid.objects.create(reviewer=reviewer, proposal=proposal, bid="eager")
        f.conflict(reviewer, proposal)
        ProposedAssignment.objects.create(call=entry.call, reviewer=reviewer, proposal=proposal, affinity_score=0.5,
                                          algorithm_used="minmax", rank=1)
    return batches, other


@pytest.mark.django_db
class TestExactCounts:
    def test_after_writes(self, world):
        assert_counts(world)
        batches, other = rows(world)
        assert_counts(world)
        AssignmentItem.objects.filter(batch=batches[0]).first().delete()
        batches[1].delete()  # and its items
        Review.objects.filter(reviewer=world.manager).delete()
        ReviewerBid.objects.filter(reviewer=world.profile).delete()
        assert_counts(world)
        world.entry.delete()  # and its batch, items, conflicts and proposed assignments
        assert_counts(world)
        bare = f.call(managers=[world.other_manager])  # no proposals: it can be deleted
        audit.record("x.done", f.batch(f.pool_entry(bare, f.profile(f.user()))))
        assert_counts(world)
        bare.delete()  # its batch goes, its event loses its call
        assert_counts(world)

    def test_a_filter_counts_the_rows(self, world):
        rows(world)
        assert result_count(world.manager, "/api/assignment-batches/", status="draft") == 1  # not their own
        assert result_count(world.staff, "/api/assignment-batches/", status="sent") == 2
        assert result_count(world.staff, "/api/events/", event_type="user.created") == 1

    def test_counted_rows_stay_where_they_are(self, world):
        """Rows are counted under their call (items under their batch's, reviews under their
        proposal's): moving one to another call is refused on PostgreSQL."""
        batch = rows(world)[0][0]
        item = batch.items.first()
        if connection.vendor != "postgresql":
            return  # no counters, no guard: the embedded SQLite database counts with COUNT(*)
        other_entry = f.pool_entry(world.other_call, f.profile(f.user()))
        other, elsewhere = f.batch(other_entry), f.proposal(f.round_(world.other_call))
        moves = [
            (AssignmentBatch.objects.filter(pk=batch.pk), {"call": world.other_call}),
            (AssignmentItem.objects.filter(pk=item.pk), {"batch": other}),
            (AssignmentItem.objects.filter(pk=item.pk), {"call": world.other_call}),
            (Review.objects.filter(proposal=world.proposal), {"proposal": elsewhere}),
            (Review.objects.filter(proposal=world.proposal), {"call": world.other_call}),
            (Proposal.objects.filter(pk=world.proposal.pk), {"call": world.other_call}),
            *((model.objects.filter(call=world.call), {"call": world.other_call})
              for model in (CallReviewerPool, ReviewerBid, ConflictOfInterest, ProposedAssignment)),
        ]
        for rows_, change in moves:
            assert rows_.exists(), rows_.model
            with pytest.raises(Exception, match="stays (in|with) its"), transaction.atomic():
                rows_.update(**change)
        Proposal.objects.filter(pk=world.proposal.pk).update(round=f.round_(world.call))  # another round, same call
        assert_counts(world)


CALL_LISTS = {"reviewer-pool": CallReviewerPool, "conflicts": ConflictOfInterest,
              "proposed-assignments": ProposedAssignment}


@pytest.mark.django_db
@pytest.mark.parametrize("name", CALL_LISTS)
def test_a_calls_own_lists_are_counted_from_its_counters(world, name):
    """A call action's list shows all of the call's rows of a counted table: unnarrowed, it is
    counted from that call's counters (no COUNT(*) on PostgreSQL), exactly, after rows of this
    call and the other are added and deleted; a filtered one counts its rows."""
    model, url = CALL_LISTS[name], f"/api/proposal-protected-calls/{world.call.uuid.hex}/{name}/"

    def exact():
        return model.objects.filter(call=world.call).count()

    def counts_with_count_star(**params):
        with CaptureQueriesContext(connection) as queries:
            count = result_count(world.manager, url, **params)
        return count, any(query["sql"].startswith("SELECT COUNT(*)") for query in queries.captured_queries)

    assert counts_with_count_star() == (exact(), connection.vendor != "postgresql")
    rows(world)
    extra = f.pool_entry(world.call, f.profile(f.user()))
    f.conflict(extra.reviewer, world.proposal2)
    assert counts_with_count_star() == (exact(), connection.vendor != "postgresql") and exact() > 0
    model.objects.filter(call=world.call).first().delete()
    assert counts_with_count_star()[0] == exact()
    assert counts_with_count_star(page=1, page_size=1, o="-created") == (exact(), connection.vendor != "postgresql")
    narrowed = {"reviewer-pool": {"invitation_status": "accepted"}, "conflicts": {"status": "pending"},
                "proposed-assignments": {"is_deployed": "false"}}[name]
    filtered = model.objects.filter(call=world.call, **{key: value == "true" if value in ("true", "false") else value
                                                        for key, value in narrowed.items()}).count()
    assert counts_with_count_star(**narrowed) == (filtered, True)

@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_counts_exact(world):
    """Eight threads at once, each in its own transaction, add events, batches and items to the
    same call (every third rolls back) and delete rows of the others, twice over: no writer
    waits for another on the counters, and the counts stay exact."""
    if connection.vendor != "postgresql":
        return  # SQLite runs one writer at a time and keeps no counters
    batches = [f.batch(world.entry, status="sent") for _ in range(8)]
    barrier = threading.Barrier(8)
    failures = []

    def write(index):
        try:
            barrier.wait(timeout=30)
            for _ in range(2):
                with transaction.atomic():
                    batch = f.batch(world.entry, status="sent")
                    f.item(batch, f.proposal(world.round))
                    audit.record_many([audit.event("x.done", batch), audit.event("x.done", batch)])
                    AssignmentItem.objects.filter(batch=batches[index]).delete()
                    f.item(batches[index], f.proposal(world.round))
                    if index % 3 == 0:
                        transaction.set_rollback(True)
        except Exception as exc:  # reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a writer waited for ever"
    assert failures == []
    assert AssignmentBatch.objects.count() == 8 + 2 * 5
    assert_counts(world)
    # Each write folds the committed rows of its key into its own: a few rows per key remain.
    assert RowCount.objects.filter(table_name=AssignmentItem._meta.db_table).count() <= 9
