"""Undo of a generation (issue 13): withdraw the draft items the call's last deployed preview
created, and give the preview back, so the manager can edit and deploy it again or run another.

Which items a deployment created: the pairs of its ProposedAssignment rows (deployed inside the
preview's life, between its `created` and its `deployed_at`) whose item was created in that same
span. One held item per pair (§2) and the per-call lock every writer of items takes make that
exactly the deployment's items: a later manual item for such a pair is created after the span.

Undo is all or nothing: once any of these items is in a batch a reviewer was sent (sent,
responded or expired), it refuses in words, because what a reviewer has seen is withdrawn by
cancelling the batch (Batches tab), which tells them. Items of batches cancelled since are left
as they are. A generation run without a preview (the API's `dry_run: false`) keeps no preview
and cannot be undone here; neither can one whose preview a later dry run replaced."""

from dataclasses import dataclass

from django.db import transaction

from referee.assignments.enums import BatchSource, BatchStatus
from referee.assignments.models import AssignmentBatch, AssignmentItem, GenerationPreview, ProposedAssignment
from referee.calls.models import MatchingConfiguration
from referee.core.audit import event, record, record_many
from referee.core.enums import AuditEventType
from referee.core.errors import DomainError

NOTHING_TO_UNDO = ("There is no deployed generation to undo: undo applies to the last preview deployed, until a "
                   "new preview replaces it.")
ALREADY_SENT = ("{items} of this generation's assignments are in {batches} already sent to reviewers, so nothing was "
                "withdrawn. Cancel those batches on the Batches tab (the reviewers are told), then undo again to "
                "withdraw the rest.")


@dataclass
class UndoResult:
    items_withdrawn: int
    batches_deleted: int


def undo_generation(call, *, actor) -> UndoResult:
    with transaction.atomic():
        MatchingConfiguration.objects.select_for_update().get(call=call)  # §7: serialises with generation
        preview = GenerationPreview.objects.select_for_update().filter(call=call).first()
        if preview is None or preview.deployed_at is None:
            raise DomainError(NOTHING_TO_UNDO)
        span = (preview.created, preview.deployed_at)
        rows = ProposedAssignment.objects.filter(call=call, is_deployed=True, deployed_at__range=span)
        pairs = set(rows.values_list("proposal_id", "reviewer_id"))
        created = AssignmentItem.objects.filter(batch__call=call, created__range=span)
        batches = {b.id: b for b in AssignmentBatch.objects.select_for_update().filter(
            id__in=created.values("batch_id")).order_by("id")}
        items = [item for item in created.select_for_update(of=("self",)).select_related("pool_entry").order_by("id")
                 if (item.proposal_id, item.pool_entry.reviewer_id) in pairs]
        seen = [i for i in items if batches[i.batch_id].status not in (BatchStatus.DRAFT, BatchStatus.CANCELLED)]
        if seen:
            n = len({i.batch_id for i in seen})
            raise DomainError(ALREADY_SENT.format(items=len(seen), batches=f"{n} batch" + ("" if n == 1 else "es")))
        withdrawn = [i for i in items if batches[i.batch_id].status == BatchStatus.DRAFT]
        emptied = _emptied(batches, withdrawn, span)
        record_many(
            [event(AuditEventType.ASSIGNMENT_BATCH_DELETED, b, actor=actor, call=call, from_state=b.status,
                   to_state="", items=[i.uuid.hex for i in withdrawn if i.batch_id == b.id]) for b in emptied]
            + [event(AuditEventType.ASSIGNMENT_ITEM_DELETED, i, actor=actor, call=call, from_state=i.status,
                     batch=batches[i.batch_id].uuid.hex, proposal_id=i.proposal_id)
               for i in withdrawn if batches[i.batch_id] not in emptied])
        AssignmentItem.objects.filter(id__in=[i.id for i in withdrawn]).delete()
        AssignmentBatch.objects.filter(id__in=[b.id for b in emptied]).delete()
        rows.update(is_deployed=False, deployed_at=None, deployed_by=None)
        preview.deployed_at, preview.deployed_by = None, None
        preview.save(update_fields=["deployed_at", "deployed_by", "modified"])
        result = UndoResult(len(withdrawn), len(emptied))
        record(AuditEventType.ASSIGNMENTS_GENERATION_UNDONE, preview, actor=actor, call=call,
               message=f"{result.items_withdrawn} draft items withdrawn, {result.batches_deleted} draft batches deleted",
               items_withdrawn=result.items_withdrawn, batches_deleted=result.batches_deleted)
        return result


def _emptied(batches: dict, withdrawn: list, span) -> list:
    """The drafts the deployment created that hold nothing but withdrawn items: they go too. A
    draft it reused, or one that got other items since, stays."""
    taking = {i.batch_id for i in withdrawn}
    ids = [b.id for b in batches.values() if b.id in taking and b.source == BatchSource.ALGORITHM
           and span[0] <= b.created <= span[1]]
    kept = set(AssignmentItem.objects.filter(batch_id__in=ids).exclude(id__in=[i.id for i in withdrawn])
               .values_list("batch_id", flat=True))
    return [batches[key] for key in ids if key not in kept]
