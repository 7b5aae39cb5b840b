"""Counters of proposals per call, kept by triggers on PostgreSQL (referee.api.row_counts). A
proposal stays in its call (0009's guard), so only inserts and deletes are counted."""

from django.db import migrations

from referee.api.row_counts import PROPOSAL, WRITES, count_by_call


class Migration(migrations.Migration):

    dependencies = [
        ("calls", "0009_proposal_keeps_call"),
        ("core", "0006_row_counts"),
    ]

    operations = [
        count_by_call(PROPOSAL, ops=WRITES),
    ]
