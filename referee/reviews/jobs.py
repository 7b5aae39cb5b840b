"""Periodic job on reviews (§6, §4.5): in_review reviews past their `review_end_date` are rejected.

`review_end_date` is derived at read time (`created + the round's review_duration_in_days`, for a
review from an item at least its batch's `expires_at`), so the job selects in SQL with the same
rule (`queries.overdue_reviews`, which the console lists too), then locks, re-checks with `Review.review_end_date` and rejects one review per transaction."""

from django.utils import timezone

from referee.assignments.models import AssignmentBatch
from referee.core import audit
from referee.core.enums import AuditEventType
from referee.core.jobs import each_locked
from referee.reviews.enums import ReviewState
from referee.reviews.models import Review
from referee.reviews.queries import overdue_reviews


def reject_overdue_reviews() -> int:
    """in_review → rejected once now ≥ `review_end_date`; returns how many were rejected."""
    ids = list(overdue_reviews(timezone.now()).order_by("created", "pk").values_list("pk", flat=True))
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
