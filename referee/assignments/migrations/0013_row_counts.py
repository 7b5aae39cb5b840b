"""Counters of batches and items per call, kept by triggers on PostgreSQL (referee.api.row_counts).
An item is counted under its batch's call, so neither a batch nor an item may move (no code path
moved one): guards refuse it rather than UPDATE triggers that every status change would run."""

from django.db import migrations

from referee.api.row_counts import BATCH, BATCH_CALL, ITEM, WRITES, count_by_call, keeps


class Migration(migrations.Migration):

    dependencies = [
        ("assignments", "0012_deployed_generation"),
        ("core", "0006_row_counts"),
    ]

    operations = [
        keeps(BATCH, "call_id", "an assignment batch stays in its call"),
        keeps(ITEM, "batch_id", "an assignment item stays in its batch"),
        count_by_call(BATCH, ops=WRITES),
        count_by_call(ITEM, BATCH_CALL, ops=WRITES),
    ]
