"""Each review holds its proposal's call (`Review.call`), so that a manager's reviews and a pool
entry's are read by call (indexed with the reviewer and the state). Filled from the proposals,
then required; a guard refuses moving a review to another call (referee.api.row_counts)."""

from django.db import migrations

from referee.api.row_counts import PROPOSAL, REVIEW, call_copied_from


class Migration(migrations.Migration):

    dependencies = [
        ("reviews", "0004_row_counts"),
    ]

    operations = call_copied_from("review", REVIEW, PROPOSAL, "proposal_id", ["call", "reviewer", "state"],
                                  "review_call_reviewer_state", "a review stays with its call")
