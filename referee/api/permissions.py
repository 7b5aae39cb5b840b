"""Role checks (§1, Roles). Visibility (404) is the queryset's job; these give the 403s."""

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from referee.core.roles import is_manager_of


class ApiAccess(BasePermission):
    """Authenticated users only; support users may only read.

    For detail routes the support refusal is an object permission, so that an invisible or
    unknown object still answers 404 first (§1, order of checks)."""

    message = "Support users have read-only access."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in SAFE_METHODS or not user.is_read_only:
            return True
        return view.lookup_url_kwarg_present() if hasattr(view, "lookup_url_kwarg_present") else False

    def has_object_permission(self, request, view, obj):
        return request.method in SAFE_METHODS or not request.user.is_read_only


class CallManagerOnly(BasePermission):
    """Actions reserved to the managers of the object's call (staff count as managers)."""

    message = "Only call managers can perform this action."

    def has_object_permission(self, request, view, obj):
        return is_manager_of(request.user, view.call_id_of(obj))


class OwnerOnly(BasePermission):
    """Self-only actions: the owner of the object; everyone else who can see it gets 403."""

    message = "Only the reviewer this belongs to can perform this action."

    def has_object_permission(self, request, view, obj):
        return view.owner_id_of(obj) == request.user.pk


def require_manager(request, call) -> None:
    """Call actions (§3.5): managers act; support may read; everyone else who sees the call: 403."""
    if is_manager_of(request.user, call.id):
        return
    if request.method in SAFE_METHODS and request.user.is_support:
        return
    raise PermissionDenied(CallManagerOnly.message)
