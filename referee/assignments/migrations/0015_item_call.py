"""Each item holds its batch's call (`AssignmentItem.call`), so that a manager's items are read by
their calls (indexed with the status, which the filtered lists count by). Filled from the
batches, then required; a guard refuses moving an item to another call, as one already refuses
moving it to another batch (referee.api.row_counts)."""

from django.db import migrations

from referee.api.row_counts import BATCH, ITEM, call_copied_from


class Migration(migrations.Migration):

    dependencies = [
        ("assignments", "0014_proposed_row_counts"),
        ("calls", "0009_proposal_keeps_call"),
    ]

    operations = call_copied_from("assignmentitem", ITEM, BATCH, "batch_id", ["call", "status"], "item_call_status",
                                  "an assignment item stays in its call")
