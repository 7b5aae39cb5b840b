"""Business actions on assignment batches and items (§4.1, §4.2, §5.6).

Import actions from here; the submodules split them by subject:
`batches` (the batch state machine), `manual` (create-manual-assignment), `common` (locks,
blocking-COI lookup and item transitions shared by every action)."""

from referee.assignments.domain.batches import (
    cancel_batch, complete_batch_if_responded, delete_batch, expire_batch, extend_deadline, send_batch,
    update_batch_notes,
)
from referee.assignments.domain.manual import ManualAssignmentResult, create_manual_assignment

__all__ = [
    "ManualAssignmentResult", "cancel_batch", "complete_batch_if_responded", "create_manual_assignment",
    "delete_batch", "expire_batch", "extend_deadline", "send_batch", "update_batch_notes",
]
