"""The review list's `o=state` and `o=-state` on PostgreSQL (docs/decisions.md, "List
performance"): without them each sorted every review of its state group, joins included (about
350 ms on 77,000 reviews)."""

from django.db import migrations

from referee.api.indexes import order_key, postgresql_indexes


class Migration(migrations.Migration):

    dependencies = [
        ("reviews", "0001_initial"),
    ]

    operations = [
        postgresql_indexes(order_key("review_list_state", "reviews_review", "state")),
    ]
