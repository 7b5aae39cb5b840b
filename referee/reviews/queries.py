"""Read models of reviews: what a page of reviews shows, read in a constant number of queries."""

from django.db.models import F

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
    rows = list(with_deadline(Review.objects.visible_to(user).filter(reviewer=user)).order_by("-modified", "pk"))
    for review in rows:
        review.deadline = review_deadline(review)
    open_reviews = sorted((r for r in rows if r.state == ReviewState.IN_REVIEW),
                          key=lambda r: (r.deadline is None, r.deadline or r.created))
    return open_reviews, [r for r in rows if r.state != ReviewState.IN_REVIEW]
