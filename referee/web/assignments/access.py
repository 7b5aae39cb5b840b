"""The refusal of the answer actions, the predicate's answer (kept out of the views, which only
ask: tests/test_architecture.py)."""

from django.core.exceptions import PermissionDenied

from referee.assignments.predicates import can_respond_to_item


def require_responder(user, item) -> None:
    """Only the item's reviewer answers it (403, as the API's `CanRespondToItem`): the call's
    managers, support and staff see the item but do not answer for the reviewer."""
    if not can_respond_to_item(user, item):
        raise PermissionDenied
