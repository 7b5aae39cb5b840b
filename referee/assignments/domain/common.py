"""Building blocks shared by the assignment actions: row locks and the blocking-COI lookup. The
item and batch transitions themselves are in `assignments.transitions`.

Every helper expects to run inside the caller's `transaction.atomic()` and after the caller has
taken the locks that come earlier in the §7 order (call configuration → pool entry → batch)."""

from collections import defaultdict

from referee.assignments.models import AssignmentBatch, AssignmentItem
from referee.assignments.transitions import block_items
from referee.conflicts.models import ConflictOfInterest
from referee.reviewers.models import CallReviewerPool


def lock_batch(batch) -> AssignmentBatch:
    """The batch row, locked and re-read: guards must see the state other transactions committed."""
    return AssignmentBatch.objects.select_for_update().get(pk=batch.pk)


def lock_items(batch, statuses):
    """The batch's items in `statuses`, locked in primary-key order so two actions never lock
    the same rows in different orders."""
    return list(batch.items.select_for_update().filter(status__in=statuses).order_by("pk"))


def reviewer_of(batch) -> int:
    """Profile id of the batch's reviewer: COIs are recorded per profile, items per pool entry."""
    return CallReviewerPool.objects.values_list("reviewer_id", flat=True).get(pk=batch.reviewer_pool_entry_id)


def blocking_conflicts(reviewer_id: int, proposal_ids) -> dict[int, list[int]]:
    """Ids of the COIs now blocking each (reviewer, proposal) pair, by proposal id (§5.8)."""
    found = defaultdict(list)
    rows = ConflictOfInterest.objects.blocking().filter(reviewer_id=reviewer_id, proposal_id__in=list(proposal_ids))
    for coi_id, proposal_id in rows.order_by("pk").values_list("pk", "proposal_id"):
        found[proposal_id].append(coi_id)
    return dict(found)


def block_conflicted(items, *, reviewer_id: int, actor, call) -> list:
    """Items whose pair is now blocked by a COI become coi_blocked with those COIs linked
    (§4.2 "pending → coi_blocked"). Returns the items that were blocked."""
    conflicts = blocking_conflicts(reviewer_id, {i.proposal_id for i in items})
    return block_items(items, conflicts, actor=actor, call=call)


def lock_item(item) -> AssignmentItem:
    """The item row, locked and re-read (after its batch: §7 order)."""
    return AssignmentItem.objects.select_for_update().get(pk=item.pk)
