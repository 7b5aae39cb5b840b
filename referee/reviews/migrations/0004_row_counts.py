"""Counters of reviews per call (their proposal's), kept by triggers on PostgreSQL
(referee.api.row_counts). A review stays with its proposal, and a proposal in its call."""

from django.db import migrations

from referee.api.row_counts import PROPOSAL_CALL, REVIEW, WRITES, count_by_call, keeps


class Migration(migrations.Migration):

    dependencies = [
        ("reviews", "0003_pool_count_index"),
        ("calls", "0009_proposal_keeps_call"),
        ("core", "0006_row_counts"),
    ]

    operations = [
        keeps(REVIEW, "proposal_id", "a review stays with its proposal"),
        count_by_call(REVIEW, PROPOSAL_CALL, ops=WRITES),
    ]
