"""Counters of pool entries and bids per call, kept by triggers on PostgreSQL
(referee.api.row_counts). Neither moves to another call (no code path moved one): guards refuse it."""

from django.db import migrations

from referee.api.row_counts import WRITES, count_by_call, keeps

TABLES = ("reviewers_callreviewerpool", "reviewers_reviewerbid")


class Migration(migrations.Migration):

    dependencies = [
        ("reviewers", "0003_countries_and_career_stages"),
        ("core", "0006_row_counts"),
    ]

    operations = [
        keeps("reviewers_callreviewerpool", "call_id", "a pool entry stays in its call"),
        keeps("reviewers_reviewerbid", "call_id", "a bid stays in its call"),
        *(count_by_call(table, ops=WRITES) for table in TABLES),
    ]
