"""Who may change a profile from the pages: the API's two checks, asked of their predicates."""

from django.core.exceptions import PermissionDenied

from referee.core.predicates import is_read_only
from referee.reviewers.predicates import can_edit_profile


def may_write(user, profile) -> bool:
    """Support reads and changes nothing (as in the API); otherwise the profile's owner or staff.
    `profile` is None before the user has one: creating it (`me/`) needs only write access."""
    return not is_read_only(user) and (profile is None or can_edit_profile(user, profile))


def require_write(user, profile) -> None:
    """403 unless `may_write`."""
    if not may_write(user, profile):
        raise PermissionDenied
