"""Two partial indexes for a page of reviewer profiles' stats (reviewers.queries.reviewer_stats):
the declined and expired items of the page's pool entries, read from the index alone on
PostgreSQL (INCLUDE), and the ids of cancelled batches."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("assignments", "0015_item_call"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="assignmentbatch",
            index=models.Index(condition=models.Q(("status", "cancelled")), fields=["id"], name="batch_cancelled_ids"),
        ),
        migrations.AddIndex(
            model_name="assignmentitem",
            index=models.Index(
                condition=models.Q(("status__in", ("declined", "reassigned", "expired"))), fields=["pool_entry"],
                include=("id", "status", "responded_at", "batch"), name="item_stats_by_entry"),
        ),
    ]
