"""Permission predicates of reviewer profiles, call pool entries and bids (§3.6, §3.9, §3.10)."""

from referee.core.roles import is_manager_of
from referee.reviewers.models import CallReviewerPool


def can_edit_profile(user, profile) -> bool:
    """Change a profile or its rows (affiliations, expertise, publications): its owner or staff."""
    return bool(user.is_staff) or profile.user_id == user.pk


def can_manage_pool_entry(user, entry) -> bool:
    """Change the capacity, force-accept, resend the invitation: the call's managers."""
    return is_manager_of(user, entry.call_id)


def can_respond_to_invitation(user, entry) -> bool:
    """Accept or decline: the invited reviewer alone, not even staff."""
    return entry.reviewer.user_id == user.pk


def can_change_bid(user, bid) -> bool:
    return bid.reviewer.user_id == user.pk


def can_bid(user) -> bool:
    """Bid on proposals at all (the bids page and its navigation entry): a reviewer accepted into
    some call's pool, whom `bids.submit_bid` then checks per proposal."""
    return CallReviewerPool.objects.accepted().filter(reviewer__user_id=user.pk).exists()
