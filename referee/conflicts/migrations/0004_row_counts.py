"""Counters of conflicts of interest per call, kept by triggers on PostgreSQL
(referee.api.row_counts). A conflict stays in its call: a guard refuses a move."""

from django.db import migrations

from referee.api.row_counts import WRITES, count_by_call, keeps

TABLE = "conflicts_conflictofinterest"


class Migration(migrations.Migration):

    dependencies = [
        ("conflicts", "0003_detection_job_result"),
        ("core", "0006_row_counts"),
    ]

    operations = [
        keeps(TABLE, "call_id", "a conflict of interest stays in its call"),
        count_by_call(TABLE, ops=WRITES),
    ]
