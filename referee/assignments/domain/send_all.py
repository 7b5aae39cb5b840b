"""`send-all-assignments` (§3.5): send many batches of a call, each by the rules of `send_batch`."""

from referee.assignments.domain.batches import send_batch
from referee.assignments.models import AssignmentBatch
from referee.core.errors import DomainError


def send_all_batches(call, *, actor, batch_uuids=None) -> dict:
    """Send the named batches of the call (none named: all its drafts), each in its own
    transaction by the `send` rules, so one refusal does not undo the others. A refusal, a uuid
    of no batch of this call and a repeated uuid's twin count as skipped, so
    `batches_sent + skipped` = the batches asked for."""
    batches = AssignmentBatch.objects.filter(call=call)
    if batch_uuids:
        keys = set(batch_uuids)
        batches = list(batches.filter(uuid__in=keys).order_by("created", "id"))
        skipped = len(batch_uuids) - len(batches)
    else:
        batches = list(batches.filter(status=AssignmentBatch.Status.DRAFT).order_by("created", "id"))
        skipped = 0
    sent = 0
    for batch in batches:
        try:
            send_batch(batch, actor=actor)
        except (DomainError, AssignmentBatch.DoesNotExist):  # refused, or deleted since listed (undo, delete)
            skipped += 1
        else:
            sent += 1
    return {"batches_sent": sent, "skipped": skipped}
