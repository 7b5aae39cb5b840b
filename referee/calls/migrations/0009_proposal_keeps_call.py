"""A proposal stays in its call: its reviews are counted under it (referee.api.row_counts)."""

from django.db import migrations

from referee.api.row_counts import PROPOSAL, keeps


class Migration(migrations.Migration):

    dependencies = [
        ("calls", "0008_max_assignment_probability"),
    ]

    operations = [
        keeps(PROPOSAL, "call_id", "a proposal stays in its call"),
    ]
