"""Who sees which batch and item (§3.1, §3.3): written once, used by every view."""

from functools import cache
from typing import NamedTuple

from django.db import models
from django.db.models import OuterRef, Q, Subquery

from referee.api.queries import InSubquery, packed_counts
from referee.assignments.enums import BatchStatus, ItemStatus
from referee.core.querysets import count_by_call
from referee.core.roles import managed_call_ids, sees_everything

REVIEWER_VISIBLE_BATCH_STATUSES = (BatchStatus.SENT, BatchStatus.RESPONDED, BatchStatus.EXPIRED)


def own_pool_entries(user):
    """Subquery of the ids of the user's pool entries (one per call at most)."""
    from referee.reviewers.models import CallReviewerPool  # models import querysets: read at call time

    return CallReviewerPool.objects.filter(reviewer__user=user).values("id")


def seen_as_reviewer(user):
    """The batches a user sees as a reviewer: their own, once sent."""
    return InSubquery("reviewer_pool_entry_id", own_pool_entries(user)) & Q(status__in=REVIEWER_VISIBLE_BATCH_STATUSES)


class ItemCounts(NamedTuple):
    """A batch's items: how many, and how many are pending, accepted and declined."""

    total: int
    pending: int
    accepted: int
    declined: int


@cache
def item_counts() -> Subquery:
    """`item_counts` of a batch queryset: its items, and those pending, accepted and declined
    (referee.api.queries.packed_counts). As four subqueries, staff's page query read 2,415
    buffers; as one, 1,331."""
    from referee.assignments.models import AssignmentItem  # models import querysets: read at call time

    items = AssignmentItem.objects.filter(batch=OuterRef("pk"))
    return packed_counts(items, "status", (None, ItemStatus.PENDING, ItemStatus.ACCEPTED, ItemStatus.DECLINED),
                         ItemCounts)


class BatchQuerySet(models.QuerySet):
    def visible_to(self, user):
        if sees_everything(user):
            return self.all()
        # Both branches are index conditions, not a join to the reviewer's profile for every
        # batch. The managed calls are literal ids (one query, cached for the request) so that the
        # planner knows how many batches they hold: reading the page in `created` order is right
        # for a call's manager, a sort of the few matches for a reviewer (see InSubquery).
        return self.filter(Q(call_id__in=managed_call_ids(user)) | seen_as_reviewer(user))

    def visible_count(self, user) -> int | None:
        """How many batches `user` sees: the managed calls' from the counters, the rest counted
        (referee.api.row_counts). None (count them) without counters or managed calls."""
        return count_by_call(self, user, lambda: seen_as_reviewer(user), "call_id")

    def own(self, user):
        """The reviewer's own batches they may act on or read (my-assignment-batches)."""
        return self.filter(reviewer_pool_entry__reviewer__user=user, status__in=REVIEWER_VISIBLE_BATCH_STATUSES)

    def with_counts(self):
        """Each batch's `item_counts` (ItemCounts)."""
        return self.annotate(item_counts=item_counts())


class ItemQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for item in objs:
            item.copy_from_batch()  # as `save` does
        return super().bulk_create(objs, *args, **kwargs)

    def visible_to(self, user):
        if sees_everything(user):
            return self.all()
        # The managed calls are literal ids, as for the batches: the items' own call, not a join
        # to the batch nor a hashed set of the ~20,000 batches of a manager's calls (6 ms a page).
        return self.filter(Q(call_id__in=managed_call_ids(user)) | self.seen_as_reviewer(user))

    def seen_as_reviewer(self, user):
        """An own item is visible when its batch has a reviewer-visible status: that batch is among
        the few holding an item of the user's entries, both small arrays of index conditions (see
        InSubquery)."""
        mine = own_pool_entries(user)
        shown = self.model.objects.filter(pool_entry_id__in=mine, batch__status__in=REVIEWER_VISIBLE_BATCH_STATUSES)
        return InSubquery("pool_entry_id", mine) & InSubquery("batch_id", shown.values("batch_id"))

    def visible_count(self, user) -> int | None:
        """How many items `user` sees (see count_by_call)."""
        return count_by_call(self, user, lambda: self.seen_as_reviewer(user), "call_id")
