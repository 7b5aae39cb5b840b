"""Business actions on assignment batches and items (§4.1, §4.2, §5.6).

Import actions from here; the submodules split them by subject:
`batches` (the batch state machine), `manual` (create-manual-assignment), `items` (a reviewer's
answer and a manager's corrections to one item), `reassign` (reassign, suggest_alternatives,
auto-reassign), `common` (locks and the blocking-COI lookup shared by every action). The item and
batch transitions they make are the bulk building blocks of `assignments.transitions`."""

from referee.assignments.domain.batches import (
    cancel_batch,
    complete_batch_if_responded,
    delete_batch,
    expire_batch,
    extend_deadline,
    send_batch,
    update_batch_notes,
)
from referee.assignments.domain.items import (
    accept_item,
    decline_item,
    delete_item,
    force_unblock,
    update_decline_reason,
)
from referee.assignments.domain.manual import ManualAssignmentResult, create_manual_assignment
from referee.assignments.domain.reassign import Candidate, reassign_item, suggest_alternatives
from referee.assignments.domain.send_all import send_all_batches

__all__ = [
    "Candidate", "ManualAssignmentResult", "accept_item", "cancel_batch", "complete_batch_if_responded",
    "create_manual_assignment", "decline_item", "delete_batch", "delete_item", "expire_batch", "extend_deadline",
    "force_unblock", "reassign_item", "send_all_batches", "send_batch", "suggest_alternatives",
    "update_batch_notes", "update_decline_reason",
]
