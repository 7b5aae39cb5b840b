"""The item and batch transitions of §4.1/§4.2 as bulk building blocks, shared by the assignment
actions (`assignments.domain`) and the conflict actions (`conflicts.domain`, detection).

Each one changes any number of rows with a number of queries that does not grow with them (the
rows in one UPDATE, their audit events in one INSERT), one event per row in the rows' order. None opens a transaction or
checks a guard: they run inside the caller's action, after it has locked the rows in the §7
order (pool entry → batch → item) and decided which rows move. `lock` takes such locks.

Lives beside `assignments.domain`, not in it: the conflict actions import it, and the
assignment domain package imports the conflict actions (items.force_unblock)."""

from collections.abc import Callable, Hashable, Iterable

from django.db.models import Exists, OuterRef
from django.utils import timezone

from referee.assignments.enums import BatchStatus, ItemStatus
from referee.assignments.models import AssignmentBatch, AssignmentItem
from referee.core.audit import event, record_many
from referee.core.enums import AuditEventType


def lock(queryset) -> None:
    """Lock the queryset's rows in primary-key order, so that two lockers never cross (§7). Reads
    only the ids; a row the transaction already holds is locked again, which is a no-op."""
    list(queryset.select_for_update().order_by("pk").values_list("pk", flat=True))


def move_items(items, to_status: str, *, actor, event_type: str, call=None, **fields) -> None:
    """Locked items → `to_status` (and `fields`) in one UPDATE, one `event_type` event each.

    `has_coi` follows the status (the model's check constraint: `has_coi` ⇔ coi_blocked). The
    items' instances are updated too. `call` is the items' call when the caller holds it;
    otherwise each event takes its item's batch's call (load the batch with the items)."""
    if not items:
        return
    AssignmentItem.objects.filter(pk__in=[item.pk for item in items]).update(
        status=to_status, has_coi=to_status == ItemStatus.COI_BLOCKED, modified=timezone.now(), **fields
    )
    events = []
    for item in items:
        events.append(event(event_type, item, actor=actor, call=call if call is not None else item.batch.call_id,
                            from_state=item.status, to_state=to_status))
        item.status, item.has_coi = to_status, to_status == ItemStatus.COI_BLOCKED
        for name, value in fields.items():
            setattr(item, name, value)
    record_many(events)


def by_proposal(item) -> int:
    """The default key of `link_conflicts`: COIs by proposal id, when the items share a reviewer."""
    return item.proposal_id


def link_conflicts(items, conflicts: dict, *, key: Callable[[AssignmentItem], Hashable] = by_proposal) -> None:
    """Attach to each item the COI ids `conflicts[key(item)]` (`coi_records`), in one INSERT;
    links that exist already are kept."""
    through = AssignmentItem.coi_records.through
    through.objects.bulk_create([
        through(assignmentitem_id=item.pk, conflictofinterest_id=coi_id)
        for item in items
        for coi_id in conflicts.get(key(item), ())
    ], ignore_conflicts=True)


def block_items(items, conflicts: dict, *, actor, call=None,
                key: Callable[[AssignmentItem], Hashable] = by_proposal) -> list[AssignmentItem]:
    """§4.2 "→ coi_blocked": each item with blocking COIs (`conflicts[key(item)]`, as for
    `link_conflicts`) gets them linked, and moves to coi_blocked unless it is blocked already.
    Returns the items that moved; their batches may now be complete (`complete_batches`)."""
    hit = [item for item in items if key(item) in conflicts]
    moved = [item for item in hit if item.status != ItemStatus.COI_BLOCKED]
    move_items(moved, ItemStatus.COI_BLOCKED, actor=actor, event_type=AuditEventType.ASSIGNMENT_ITEM_COI_BLOCKED, call=call)
    link_conflicts(hit, conflicts, key=key)
    return moved


def complete_batches(batch_ids: Iterable[int], *, actor) -> list[AssignmentBatch]:
    """sent → responded for the batches left without a pending item (§4.1), after an action
    answered, blocked or deleted items. Locks the batches first (held already by a caller that
    changed their items), then reads their state under the lock. Returns the completed ones."""
    ids = sorted(set(batch_ids))
    if not ids:
        return []
    lock(AssignmentBatch.objects.filter(pk__in=ids))
    pending = AssignmentItem.objects.filter(batch=OuterRef("pk"), status=ItemStatus.PENDING)
    done = list(AssignmentBatch.objects.filter(pk__in=ids, status=BatchStatus.SENT).exclude(Exists(pending)))
    if not done:
        return []
    now = timezone.now()
    AssignmentBatch.objects.filter(pk__in=[b.pk for b in done]).update(status=BatchStatus.RESPONDED, responded_at=now, modified=now)
    record_many([
        event(AuditEventType.ASSIGNMENT_BATCH_RESPONDED, b, actor=actor, call=b.call_id, from_state=BatchStatus.SENT, to_state=BatchStatus.RESPONDED)
        for b in done
    ])
    return done


def reopen_batches(batches, *, actor) -> None:
    """responded → sent for the given (locked) batch instances, after items came back pending
    before the deadline (§4.1). Several instances may stand for one row (each item's own copy
    of its batch): the row moves once, with one event, and every copy then reads sent."""
    batches = list(batches)
    responded = {b.pk: b for b in batches if b.status == BatchStatus.RESPONDED}
    if not responded:
        return
    now = timezone.now()
    AssignmentBatch.objects.filter(pk__in=list(responded)).update(status=BatchStatus.SENT, responded_at=None, modified=now)
    record_many([
        event(AuditEventType.ASSIGNMENT_BATCH_REOPENED, b, actor=actor, call=b.call_id, from_state=BatchStatus.RESPONDED, to_state=BatchStatus.SENT)
        for b in responded.values()
    ])
    for batch in batches:
        if batch.pk in responded:
            batch.status, batch.responded_at = BatchStatus.SENT, None
