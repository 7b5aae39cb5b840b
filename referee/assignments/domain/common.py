"""Building blocks shared by the assignment actions: row locks, the blocking-COI lookup and
item status changes with their audit events.

Every helper expects to run inside the caller's `transaction.atomic()` and after the caller has
taken the locks that come earlier in the §7 order (call configuration → pool entry → batch)."""

from collections import defaultdict

from django.utils import timezone

from referee.assignments.models import AssignmentBatch, AssignmentItem
from referee.conflicts.models import ConflictOfInterest
from referee.core.audit import record
from referee.reviewers.models import CallReviewerPool

DRAFT, SENT, RESPONDED, EXPIRED, CANCELLED = (s.value for s in AssignmentBatch.Status)
PENDING = AssignmentItem.Status.PENDING.value
ACCEPTED = AssignmentItem.Status.ACCEPTED.value
COI_BLOCKED = AssignmentItem.Status.COI_BLOCKED.value
ITEM_EXPIRED = AssignmentItem.Status.EXPIRED.value


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


def link_conflicts(items, conflicts: dict[int, list[int]]) -> None:
    """Attach the blocking COIs to the items they block (`coi_records`), one INSERT."""
    through = AssignmentItem.coi_records.through
    links = [
        through(assignmentitem_id=item.pk, conflictofinterest_id=coi_id)
        for item in items
        for coi_id in conflicts.get(item.proposal_id, ())
    ]
    through.objects.bulk_create(links, ignore_conflicts=True)


def change_items(items, to_status: str, *, actor, call, event: str, **fields) -> None:
    """Move locked items to `to_status` in one UPDATE and audit each transition.

    `has_coi` follows the status (the model's check constraint: `has_coi` ⇔ coi_blocked)."""
    if not items:
        return
    now = timezone.now()
    AssignmentItem.objects.filter(pk__in=[i.pk for i in items]).update(
        status=to_status, has_coi=to_status == COI_BLOCKED, modified=now, **fields
    )
    for item in items:
        from_status = item.status
        item.status, item.has_coi = to_status, to_status == COI_BLOCKED
        for name, value in fields.items():
            setattr(item, name, value)
        record(event, item, actor=actor, call=call, from_state=from_status, to_state=to_status)


def block_conflicted(items, *, reviewer_id: int, actor, call) -> list:
    """Items whose pair is now blocked by a COI become coi_blocked with those COIs linked
    (§4.2 "pending → coi_blocked"). Returns the items that were blocked."""
    conflicts = blocking_conflicts(reviewer_id, {i.proposal_id for i in items})
    blocked = [i for i in items if i.proposal_id in conflicts]
    change_items(blocked, COI_BLOCKED, actor=actor, call=call, event="ASSIGNMENT_ITEM_COI_BLOCKED")
    link_conflicts(blocked, conflicts)
    return blocked


def lock_item(item) -> AssignmentItem:
    """The item row, locked and re-read (after its batch: §7 order)."""
    return AssignmentItem.objects.select_for_update().get(pk=item.pk)
