"""A pool entry's review counts on PostgreSQL (docs/decisions.md, "List performance"): the pool
lists count each entry's reviews in progress and completed per row, and read every review of the
reviewer from the heap to test its state (about 1,100 scattered pages for a page of 100 entries).
With the state and proposal in the index the counts are index-only scans."""

from django.db import migrations

from referee.api.indexes import postgresql_indexes


class Migration(migrations.Migration):

    dependencies = [
        ("reviews", "0002_list_indexes"),
    ]

    operations = [
        postgresql_indexes({"review_reviewer_state": "reviews_review (reviewer_id, state) INCLUDE (proposal_id)"}),
    ]
