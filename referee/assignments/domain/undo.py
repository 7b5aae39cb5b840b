"""Undo of a generation (issue 13): withdraw the unsent draft items one deployed generation of
the call created, whichever it is — the last one, or one a top-up generation followed.

Its items are those that point to its DeployedGeneration (generation.py records it as it
deploys). Undo deletes the ones still in draft batches, and the drafts that deployment created
that hold nothing else (a draft it reused, or one given other items since, stays); items in
batches sent to reviewers stay, since what a reviewer has seen is withdrawn by cancelling the
batch (Batches tab), which tells them. Another generation's items are never touched.

When the generation is the call's deployed preview and all of it is withdrawn, the preview is
given back (its rows undeployed: it can be edited or deployed again). Otherwise the deployed
ProposedAssignment rows of the withdrawn pairs are deleted: those pairs are neither proposed nor
assigned any more. Refused in words when nothing of it is an unsent draft."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from referee.assignments.enums import BatchSource, BatchStatus
from referee.assignments.models import (
    AssignmentBatch,
    AssignmentItem,
    DeployedGeneration,
    GenerationPreview,
    ProposedAssignment,
)
from referee.calls.models import MatchingConfiguration
from referee.core.audit import event, record, record_many
from referee.core.enums import AuditEventType
from referee.core.errors import DomainError

NOT_FOUND = "This call has no such deployed generation: reload the page."
ALREADY_UNDONE = "This generation was already undone on {when:%Y-%m-%d %H:%M} UTC: none of its drafts is left."
ALL_SENT = ("None of this generation's {items} assignments is an unsent draft any more: they are in batches sent "
            "to reviewers, so nothing was withdrawn. Cancel those batches on the Batches tab (the reviewers are "
            "told).")
NONE_LEFT = "None of this generation's assignments is left (deleted since), so there is nothing to withdraw."


@dataclass
class UndoResult:
    items_withdrawn: int
    batches_deleted: int
    items_kept: int = 0  # in batches already sent: they stay
    preview_returned: bool = False


def undo_generation(call, *, actor, generation_uuid) -> UndoResult:
    with transaction.atomic():
        MatchingConfiguration.objects.select_for_update().get(call=call)  # §7: serialises with generation
        generation = DeployedGeneration.objects.select_for_update().filter(call=call, uuid=generation_uuid).first()
        if generation is None:
            raise DomainError(NOT_FOUND)
        preview = GenerationPreview.objects.select_for_update().filter(call=call).first()
        batches = {b.id: b for b in AssignmentBatch.objects.select_for_update().filter(
            id__in=generation.items.values("batch_id")).order_by("id")}
        items = list(generation.items.select_for_update(of=("self",)).select_related("pool_entry").order_by("id"))
        withdrawn = [i for i in items if batches[i.batch_id].status == BatchStatus.DRAFT]
        if not withdrawn:
            raise DomainError(_nothing_to_withdraw(generation, items))
        emptied = _emptied(batches, withdrawn, generation.created)
        record_many(
            [event(AuditEventType.ASSIGNMENT_BATCH_DELETED, b, actor=actor, call=call, from_state=b.status,
                   to_state="", items=[i.uuid.hex for i in withdrawn if i.batch_id == b.id]) for b in emptied]
            + [event(AuditEventType.ASSIGNMENT_ITEM_DELETED, i, actor=actor, call=call, from_state=i.status,
                     batch=batches[i.batch_id].uuid.hex, proposal_id=i.proposal_id)
               for i in withdrawn if batches[i.batch_id] not in emptied])
        AssignmentItem.objects.filter(id__in=[i.id for i in withdrawn]).delete()
        AssignmentBatch.objects.filter(id__in=[b.id for b in emptied]).delete()
        result = UndoResult(len(withdrawn), len(emptied), items_kept=len(items) - len(withdrawn))
        result.preview_returned = _rows_after(call, preview, generation, withdrawn, whole=not result.items_kept)
        generation.undone_at, generation.undone_by = timezone.now(), actor
        generation.save(update_fields=["undone_at", "undone_by", "modified"])
        record(AuditEventType.ASSIGNMENTS_GENERATION_UNDONE, generation, actor=actor, call=call,
               message=f"{result.items_withdrawn} draft items withdrawn, {result.batches_deleted} draft batches deleted"
               + (f", {result.items_kept} sent items kept" if result.items_kept else ""),
               items_withdrawn=result.items_withdrawn, batches_deleted=result.batches_deleted,
               items_kept=result.items_kept, preview_returned=result.preview_returned,
               preview_uuid=generation.preview_uuid and generation.preview_uuid.hex)
        return result


def _nothing_to_withdraw(generation: DeployedGeneration, items: list) -> str:
    if generation.undone_at is not None and not items:
        return ALREADY_UNDONE.format(when=generation.undone_at)
    return ALL_SENT.format(items=len(items)) if items else NONE_LEFT


def _emptied(batches: dict, withdrawn: list, since) -> list:
    """The drafts the deployment created (at or after `since`: batches hold items of the
    generation only if they were created by it or existed before it) that hold nothing but
    withdrawn items: they go too."""
    taking = {i.batch_id for i in withdrawn}
    ids = [b.id for b in batches.values() if b.id in taking and b.source == BatchSource.ALGORITHM and b.created >= since]
    kept = set(AssignmentItem.objects.filter(batch_id__in=ids).exclude(id__in=[i.id for i in withdrawn])
               .values_list("batch_id", flat=True))
    return [batches[key] for key in ids if key not in kept]


def _rows_after(call, preview, generation: DeployedGeneration, withdrawn: list, *, whole: bool) -> bool:
    """The ProposedAssignment rows once `withdrawn` is gone: the preview given back when the
    whole of it was withdrawn (its rows, those deployed in its life, undeployed), else the
    withdrawn pairs' deployed rows deleted. True when the preview was given back."""
    if whole and preview is not None and preview.deployed_at is not None and preview.uuid == generation.preview_uuid:
        ProposedAssignment.objects.filter(call=call, is_deployed=True,
                                          deployed_at__range=(preview.created, preview.deployed_at)).update(
            is_deployed=False, deployed_at=None, deployed_by=None)
        preview.deployed_at, preview.deployed_by = None, None
        preview.save(update_fields=["deployed_at", "deployed_by", "modified"])
        return True
    pairs = {(i.proposal_id, i.pool_entry.reviewer_id) for i in withdrawn}
    rows = ProposedAssignment.objects.filter(call=call, is_deployed=True, proposal_id__in={p for p, _ in pairs},
                                             reviewer_id__in={r for _, r in pairs})
    ProposedAssignment.objects.filter(id__in=[key for key, p, r in rows.values_list("id", "proposal_id", "reviewer_id")
                                              if (p, r) in pairs]).delete()
    return False
