"""The pool lists' nullable `o` key, `expertise_match_score`, in both directions on PostgreSQL
(docs/decisions.md, "List performance")."""

from django.db import migrations

from referee.api.indexes import nullable_key, postgresql_indexes


class Migration(migrations.Migration):

    dependencies = [
        ("reviewers", "0001_initial"),
    ]

    operations = [
        postgresql_indexes(nullable_key("pool_list_score", "reviewers_callreviewerpool", "expertise_match_score")),
    ]
