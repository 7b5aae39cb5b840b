"""Who sees which batch and item (§3.1, §3.3): written once, used by every view."""

from functools import cache
from typing import NamedTuple

from django.db import models
from django.db.models import F, Func, IntegerField, OuterRef, Q, Subquery, Value

from referee.api.queries import InSubquery
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


class ItemCountsField(models.Field):
    """Output field of `item_counts()`: the database's text "total,pending,accepted,declined"
    read back as ItemCounts."""

    def from_db_value(self, value, expression, connection):
        return ItemCounts(*map(int, value.split(",")))


def _counted(status=None) -> Func:
    """COUNT(*) of the subquery's items, or of those with `status` (an SQL FILTER clause, which
    both PostgreSQL and SQLite read)."""
    if status is None:
        return Func(template="COUNT(*)", output_field=IntegerField())
    return Func(F("status"), Value(status), template="COUNT(*) FILTER (WHERE %(expressions)s)", arg_joiner=" = ",
                output_field=IntegerField())


@cache
def item_counts() -> Subquery:
    """`(SELECT COUNT(*) || ',' || COUNT(*) FILTER (WHERE status = 'pending') || … FROM item
    WHERE batch_id = batch.id)` for a batch queryset, read as ItemCounts.

    A correlated subquery rather than JOIN … GROUP BY: PostgreSQL evaluates it only for the rows
    it returns (the page, after ORDER BY … LIMIT), and `count()` leaves it out, where the join
    grouped every visible batch's items first. One subquery for the four counts reads each
    batch's items once (four subqueries read them four times: staff's page query read 2,415
    buffers, now 1,331). COUNT is written as a plain function so that
    Django adds no GROUP BY: the subquery always yields one row ("0,0,0,0" for none). Built once
    per process: `annotate` resolves a copy (Django's expressions are not changed by use)."""
    from referee.assignments.models import AssignmentItem  # models import querysets: read at call time

    counts = [_counted(), *(_counted(status) for status in (ItemStatus.PENDING, ItemStatus.ACCEPTED,
                                                             ItemStatus.DECLINED))]
    packed = Func(*counts, template="%(expressions)s", arg_joiner=" || ',' || ", output_field=ItemCountsField())
    items = AssignmentItem.objects.filter(batch=OuterRef("pk")).order_by()
    return Subquery(items.annotate(counts=packed).values("counts"), output_field=ItemCountsField())


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
    def visible_to(self, user):
        if sees_everything(user):
            return self.all()
        from referee.assignments.models import AssignmentBatch  # models import querysets: read at call time

        # No join to the batch for every item. The managed calls' batches are one hashed set
        # (read with the items' (batch, pool entry) index alone).
        managed = AssignmentBatch.objects.filter(call_id__in=managed_call_ids(user)).values("id")
        return self.filter(Q(batch_id__in=managed) | self.seen_as_reviewer(user))

    def seen_as_reviewer(self, user):
        """An own item is visible when its batch has a reviewer-visible status: that batch is among
        the few holding an item of the user's entries, both small arrays of index conditions (see
        InSubquery)."""
        mine = own_pool_entries(user)
        shown = self.model.objects.filter(pool_entry_id__in=mine, batch__status__in=REVIEWER_VISIBLE_BATCH_STATUSES)
        return InSubquery("pool_entry_id", mine) & InSubquery("batch_id", shown.values("batch_id"))

    def visible_count(self, user) -> int | None:
        """How many items `user` sees (see count_by_call): an item's call is its batch's."""
        return count_by_call(self, user, lambda: self.seen_as_reviewer(user), "batch__call_id")
