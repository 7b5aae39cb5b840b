"""Periodic job on reviews (§6, §4.5): in_review reviews past their `review_end_date` are rejected.

`review_end_date` is derived at read time (`created + the round's review_duration_in_days`, for a
review from an item at least its batch's `expires_at`), so the job selects in SQL with the same
rule, then locks, re-checks with `Review.review_end_date` and rejects one review per transaction."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from referee.assignments.models import AssignmentBatch
from referee.calls.models import Round
from referee.core import audit
from referee.core.enums import AuditEventType
from referee.core.jobs import each_locked
from referee.reviews.enums import ReviewState
from referee.reviews.models import Review

DAY = timedelta(days=1)


def reject_overdue_reviews() -> int:
    """in_review → rejected once now ≥ `review_end_date`; returns how many were rejected."""
    now = timezone.now()
    durations = (Round.objects.filter(review_duration_in_days__isnull=False).order_by()
                 .values_list("review_duration_in_days", flat=True).distinct())
    # created + days ≤ now, one OR-ed term per distinct duration: no date arithmetic on columns,
    # so the same SQL runs on PostgreSQL and SQLite. A review from an item also waits for its
    # batch's deadline (the max of §4.5); the left join leaves other reviews with a NULL there.
    elapsed = Q()
    for days in set(durations):
        elapsed |= Q(proposal__round__review_duration_in_days=days, created__lte=now - days * DAY)
    if not elapsed:
        return 0
    batch_over = Q(assignment_item__batch__expires_at__isnull=True) | Q(assignment_item__batch__expires_at__lte=now)
    due = Review.objects.filter(elapsed, batch_over, state=ReviewState.IN_REVIEW)
    ids = list(due.order_by("created", "pk").values_list("pk", flat=True))
    rows = Review.objects.select_related("proposal__round", "proposal__call")
    return each_locked(rows, ids, _reject, job="overdue reviews")


def _reject(review) -> bool:
    batch_expires_at = AssignmentBatch.objects.filter(items__review=review).values_list("expires_at", flat=True).first()
    end = review.review_end_date(batch_expires_at)
    if review.state != ReviewState.IN_REVIEW or end is None or timezone.now() < end:
        return False
    review.state = ReviewState.REJECTED
    review.save(update_fields=["state", "modified"])
    audit.record(AuditEventType.REVIEW_REJECTED, review, call=review.proposal.call, from_state=ReviewState.IN_REVIEW, to_state=ReviewState.REJECTED,
                 reason="deadline", review_end_date=end.isoformat())
    return True
