"""Who a user is toward a call. Cached on the user object, which lives for one request."""

from django.apps import apps

from referee.core.statements import rows_for


def managed_call_ids(user) -> frozenset[int]:
    """Ids of the calls the user manages (staff: use is_manager_of, which short-cuts)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_managed_call_ids", None)
    if cached is None:
        # From the managers' table alone: through `user.managed_calls` the query joined the calls
        # and sorted them in their default order, for a set. Every request of a non-staff user
        # runs it: compiled once (core.statements).
        cached = frozenset(call_id for call_id, in rows_for(
            managed_call_ids, _managers(), lambda user_id: _managed_by(user_id).values_list("call_id"), user.pk))
        user._managed_call_ids = cached
    return cached


def managing_no_call(user_id: int):
    """A stand-in for the user `user_id` for whom `managed_call_ids` is empty without a query: for
    a visibility condition asked only of rows outside the user's managed calls, where the managed
    branch cannot match (calls.disclosure), so that its statement is the same for every user."""
    user = apps.get_model("core", "User")(pk=user_id)
    user._managed_call_ids = frozenset()
    return user


def is_manager_of(user, call_id: int) -> bool:
    """Manager powers over a call: staff everywhere, else membership in Call.managers."""
    return bool(user.is_staff) or call_id in managed_call_ids(user)


def is_support(user) -> bool:
    """Support users read everything staff read (anonymous users have no such flag)."""
    return bool(getattr(user, "is_support", False))


def sees_everything(user) -> bool:
    return bool(user.is_staff) or is_support(user)


def managed_calls(user):
    """Subquery of the ids of calls the user manages; `call_id__in=managed_calls(user)` avoids
    the row multiplication (and DISTINCT) that joining Call.managers inside an OR would cause."""
    return _managed_by(user.pk).values("call_id")


def _managed_by(user_id):
    return _managers().objects.filter(user_id=user_id)


def _managers():
    # Looked up in the app registry: calls' models import this module (through their querysets).
    return apps.get_model("calls", "Call").managers.through
