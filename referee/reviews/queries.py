"""Read models of reviews: what a page of reviews shows, read in a constant number of queries."""

from datetime import timedelta

from django.db.models import Count, F, Q

from referee.calls.models import Proposal, Round
from referee.reviews.domain import review_deadline
from referee.reviews.enums import ReviewState
from referee.reviews.models import Review


def with_deadline(queryset):
    """Reviews with what `domain.review_deadline` reads already joined: the proposal's round and
    the deadline of the batch the review came from (null for a review created directly)."""
    return queryset.select_related("proposal__round", "proposal__call").annotate(
        batch_expires_at=F("assignment_item__batch__expires_at"))


def reviews_written_by(user) -> tuple[list[Review], list[Review]]:
    """The reviews `user` writes (not those they may read as a manager or staff), each with its
    `deadline`: the open ones, soonest deadline first (none last), and the others, newest first."""
    rows = with_deadlines(with_deadline(Review.objects.visible_to(user).filter(reviewer=user)).order_by("-modified", "pk"))
    open_reviews = sorted((r for r in rows if r.state == ReviewState.IN_REVIEW),
                          key=lambda r: (r.deadline is None, r.deadline or r.created))
    return open_reviews, [r for r in rows if r.state != ReviewState.IN_REVIEW]


# --- the call manager's console (issue 13): overdue reviews and each proposal's progress ----------

DAY = timedelta(days=1)


def overdue_reviews(now):
    """Reviews in review whose `review_end_date` has come at `now`: what the overdue-review job
    rejects (`jobs.reject_overdue_reviews`) and the console lists until it does. The rule of
    `Review.review_end_date` in SQL, one OR-ed term per distinct review duration (no date
    arithmetic on columns, so the same SQL runs on PostgreSQL and SQLite); a review from an item
    also waits for its batch's deadline (the left join leaves other reviews with a NULL there)."""
    durations = (Round.objects.filter(review_duration_in_days__isnull=False).order_by()
                 .values_list("review_duration_in_days", flat=True).distinct())
    elapsed = Q()
    for days in set(durations):
        elapsed |= Q(proposal__round__review_duration_in_days=days, created__lte=now - days * DAY)
    if not elapsed:
        return Review.objects.none()
    batch_over = Q(assignment_item__batch__expires_at__isnull=True) | Q(assignment_item__batch__expires_at__lte=now)
    return Review.objects.filter(elapsed, batch_over, state=ReviewState.IN_REVIEW)


def overdue_in_call(call, now):
    """The call's overdue reviews, longest overdue first, each with its `deadline` once read (the
    reviewer, the proposal and the batch deadline are joined: constant queries per page)."""
    return with_deadline(overdue_reviews(now).filter(proposal__call=call)).select_related("reviewer").order_by(
        "created", "pk")


def with_deadlines(reviews) -> list[Review]:
    """`reviews` (read through `with_deadline`) as a list, each with its `deadline`."""
    rows = list(reviews)
    for review in rows:
        review.deadline = review_deadline(review)
    return rows


def proposal_progress(call):
    """The call's proposals, each with how many of its reviews are in review, submitted and
    rejected (one grouped join), the least advanced first, then by name."""
    counted = {state: Count("reviews", filter=Q(reviews__state=state)) for state in ReviewState.values}
    return (Proposal.objects.filter(call=call).annotate(**counted)
            .annotate(started=F(ReviewState.IN_REVIEW) + F(ReviewState.SUBMITTED))
            .only("uuid", "name", "state").order_by("started", ReviewState.SUBMITTED, "name", "pk"))
