"""Open assignments of a pool entry — its workload (§2, "Open assignments"; §4.5).

= its pending items in draft/sent batches + in_review reviews by its user on the call's
proposals (each review once, with or without an item: an item with a review is accepted, so it
is never also counted as pending)."""

from functools import cache

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from referee.assignments.enums import BatchStatus, ItemStatus
from referee.assignments.models import AssignmentItem
from referee.core.audit import record
from referee.core.enums import AuditEventType
from referee.core.errors import FieldError
from referee.reviewers.models import CallReviewerPool
from referee.reviews.enums import ReviewState
from referee.reviews.models import Review

OPEN_BATCH_STATUSES = (BatchStatus.DRAFT, BatchStatus.SENT)


def subquery_count(queryset, group: str):
    """Correlated COUNT subquery of `queryset`'s rows per `group` (0 when none): one per
    annotation, so a page of rows costs the same queries whatever their number."""
    return Coalesce(
        Subquery(queryset.values(group).annotate(n=Count("*")).values("n")[:1], output_field=IntegerField()),
        Value(0),
    )


@cache
def pending_items_expression():
    """Annotation for a CallReviewerPool queryset: its pending items in open batches, the first
    part of its workload (a list that counts its reviews by state anyway adds the second itself).
    Built once per process, as the workload below: `annotate` and `alias` resolve a copy (Django's
    expressions are not changed by use), and building the two took a page of the pool 0.55 ms."""
    pending = AssignmentItem.objects.filter(
        pool_entry=OuterRef("pk"), status=ItemStatus.PENDING, batch__status__in=OPEN_BATCH_STATUSES
    )
    return subquery_count(pending, "pool_entry")


@cache
def open_assignments_expression():
    """Annotation for a CallReviewerPool queryset: `.annotate(current_assignments=...)`."""
    reviews = Review.objects.filter(
        reviewer=OuterRef("reviewer__user"), call=OuterRef("call"), state=ReviewState.IN_REVIEW
    )
    return pending_items_expression() + subquery_count(reviews, "reviewer")


def with_open_assignments(queryset):
    return queryset.annotate(current_assignments=open_assignments_expression())


def open_assignments(entry) -> int:
    return with_open_assignments(CallReviewerPool.objects.filter(pk=entry.pk)).values_list(
        "current_assignments", flat=True
    ).get()


def workload_message(current: int, limit: int, adding: int) -> str:
    return (
        f"Reviewer has {current} open assignments (limit {limit}); this request would add {adding}. "
        "Set override_workload_limit to assign anyway."
    )


def enforce_workload_limit(entry, adding: int, *, override: bool, actor, action: str) -> None:
    """§4.5: refuse before anything is written, unless the manager overrides (then audit it).
    `action` names the request in the audit event (create-manual-assignment, reassign, create-review)."""
    if adding == 0:
        return
    current = open_assignments(entry)
    if current + adding <= entry.max_assignments:
        return
    message = workload_message(current, entry.max_assignments, adding)
    if not override:
        raise FieldError("override_workload_limit", message)
    record(AuditEventType.REVIEWER_WORKLOAD_LIMIT_OVERRIDDEN, entry, actor=actor, call=entry.call, message=message,
           open_assignments=current, limit=entry.max_assignments, adding=adding, action=action)
