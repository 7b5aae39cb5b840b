"""Indexes for the batch and item lists on PostgreSQL (docs/decisions.md, "List performance").

Every `o` key but `created` gets the indexes of its two orders with the tie-breakers (`status`
too: sorting a whole status group, joins included, took 80 ms for batches and 350 ms for items);
the default order `-created, uuid` and a call's batches in that order get theirs; items get
(batch, pool entry), so that a manager's visibility test reads that index alone."""

from django.db import migrations

from referee.api.indexes import TIES, order_key, postgresql_indexes

BATCH = "assignments_assignmentbatch"
ITEM = "assignments_assignmentitem"


class Migration(migrations.Migration):

    dependencies = [
        ("assignments", "0004_affinity_cache_lean"),
    ]

    operations = [
        postgresql_indexes({
            "batch_list_created": f"{BATCH} ({TIES})",
            # INCLUDE (id): the ids of a manager's batches, for the item list, from the index alone.
            "batch_list_call_created": f"{BATCH} (call_id, {TIES}) INCLUDE (id)",
            **order_key("batch_list_sent_at", BATCH, "sent_at", nullable=True),
            **order_key("batch_list_expires_at", BATCH, "expires_at", nullable=True),
            **order_key("batch_list_status", BATCH, "status"),
            "item_list_created": f"{ITEM} ({TIES})",
            "item_list_batch_entry": f"{ITEM} (batch_id, pool_entry_id)",
            **order_key("item_list_affinity", ITEM, "affinity_score", nullable=True),
            **order_key("item_list_responded_at", ITEM, "responded_at", nullable=True),
            **order_key("item_list_status", ITEM, "status"),
        }),
    ]
