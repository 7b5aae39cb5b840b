"""Permission predicates of core: the API as a whole and its users.

A predicate is a plain function of the user (and of the object it concerns) that answers whether
the user may do one thing. The API's permission classes (`referee.api.permissions`) adapt them to
DRF; the web pages will call them directly. Visibility is not decided here: an object a user may
not see is a 404 of its queryset's `visible_to(user)`, before any predicate is asked."""

from referee.core.roles import is_support


def is_read_only(user) -> bool:
    """Support users read what staff read and change nothing; a support user who is also staff writes."""
    return is_support(user) and not user.is_staff


def can_manage_users(user) -> bool:
    """Create users and change every field of any user (others change their own names only)."""
    return bool(user.is_staff)


def can_change_user(user, target) -> bool:
    return can_manage_users(user) or target.pk == user.pk
