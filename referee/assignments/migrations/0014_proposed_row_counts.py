"""Counters of proposed assignments per call, kept by triggers on PostgreSQL
(referee.api.row_counts). A proposed assignment stays in its call: a guard refuses a move."""

from django.db import migrations

from referee.api.row_counts import WRITES, count_by_call, keeps

TABLE = "assignments_proposedassignment"


class Migration(migrations.Migration):

    dependencies = [
        ("assignments", "0013_row_counts"),
    ]

    operations = [
        keeps(TABLE, "call_id", "a proposed assignment stays in its call"),
        count_by_call(TABLE, ops=WRITES),
    ]
