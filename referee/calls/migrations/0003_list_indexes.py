"""Proposals by name on PostgreSQL (docs/decisions.md, "List performance"): the preview lists
(`proposed-assignments`) are ordered by proposal name, then proposal; with this index the page is
read proposal by proposal in that order instead of sorting every preview row of the call."""

from django.db import migrations

from referee.api.indexes import postgresql_indexes


class Migration(migrations.Migration):

    dependencies = [
        ("calls", "0002_initial"),
    ]

    operations = [
        postgresql_indexes({"proposal_list_name": "calls_proposal (name, id)"}),
    ]
