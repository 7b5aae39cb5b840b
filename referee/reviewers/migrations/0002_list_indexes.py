"""List orders on PostgreSQL (docs/decisions.md, "List performance"): the pool's nullable
`expertise_match_score` and the bids' `bid` and `modified_at` in both directions (each sorted all
40,000 bids of the volume with their joins: about 190 ms)."""

from django.db import migrations

from referee.api.indexes import order_key, postgresql_indexes

POOL = "reviewers_callreviewerpool"
BID = "reviewers_reviewerbid"


class Migration(migrations.Migration):

    dependencies = [
        ("reviewers", "0001_initial"),
    ]

    operations = [
        postgresql_indexes({
            **order_key("pool_list_score", POOL, "expertise_match_score", nullable=True),
            **order_key("bid_list_bid", BID, "bid"),
            **order_key("bid_list_modified", BID, "modified"),
        }),
    ]
