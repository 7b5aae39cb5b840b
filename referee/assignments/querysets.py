"""Who sees which batch and item (§3.1, §3.3): written once, used by every view."""

from django.db import models
from django.db.models import Count, Q

from referee.core.roles import managed_calls, sees_everything

REVIEWER_VISIBLE_BATCH_STATUSES = ("sent", "responded", "expired")


class BatchQuerySet(models.QuerySet):
    def visible_to(self, user):
        if sees_everything(user):
            return self.all()
        return self.filter(
            Q(call_id__in=managed_calls(user))
            | Q(reviewer_pool_entry__reviewer__user=user, status__in=REVIEWER_VISIBLE_BATCH_STATUSES)
        )

    def own(self, user):
        """The reviewer's own batches they may act on or read (my-assignment-batches)."""
        return self.filter(reviewer_pool_entry__reviewer__user=user, status__in=REVIEWER_VISIBLE_BATCH_STATUSES)

    def with_counts(self):
        return self.annotate(
            items_count=Count("items"),
            items_pending_count=Count("items", filter=Q(items__status="pending")),
            items_accepted_count=Count("items", filter=Q(items__status="accepted")),
            items_declined_count=Count("items", filter=Q(items__status="declined")),
        )


class ItemQuerySet(models.QuerySet):
    def visible_to(self, user):
        if sees_everything(user):
            return self.all()
        return self.filter(
            Q(batch__call_id__in=managed_calls(user))
            | Q(pool_entry__reviewer__user=user, batch__status__in=REVIEWER_VISIBLE_BATCH_STATUSES)
        )
