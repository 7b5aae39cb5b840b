"""Permission predicates of reviews (§3.11)."""

from referee.core.roles import is_manager_of, managed_call_ids


def can_create_reviews(user) -> bool:
    """Create reviews directly at all (asked before the body is read): staff, or a manager of some call."""
    return bool(user.is_staff) or bool(managed_call_ids(user))


def can_create_review_for(user, proposal) -> bool:
    return is_manager_of(user, proposal.call_id)


def can_write_review(user, review) -> bool:
    """Change or submit a review: its reviewer alone."""
    return review.reviewer_id == user.pk


def can_reject_review(user, review) -> bool:
    """The reviewer withdraws, or a manager of the call takes the review back."""
    return can_write_review(user, review) or is_manager_of(user, review.proposal.call_id)
