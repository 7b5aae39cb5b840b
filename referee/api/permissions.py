"""Role checks (§1, Roles): the API's 403s, as thin DRF adapters over the permission predicates of
each app (`<app>/predicates.py`). Visibility (404) is the queryset's job; the rules are the
predicates'; this module only says when each is asked and with which message.

Views name these classes in `action_permissions` (checked by `RefereeViewSet`: 405 first, then
`ApiAccess`, then the action's classes, object permissions once the object is found, so 404 comes
before 403). Where a check must come in the middle of an action (after a nested lookup's 404, or
only for some bodies) the view calls `require(request, SomeClass, obj)`: same predicate, same message."""

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from referee.assignments import predicates as assignments
from referee.calls import predicates as calls
from referee.conflicts import predicates as conflicts
from referee.core import predicates as core
from referee.reviewers import predicates as reviewers
from referee.reviews import predicates as reviews

CALL_MANAGERS_ONLY = "Only call managers can perform this action."
OWNER_ONLY = "Only the reviewer this belongs to can perform this action."


class ApiAccess(BasePermission):
    """Authenticated users only; support users may only read.

    For detail routes the support refusal is an object permission, so that an invisible or
    unknown object still answers 404 first (§1, order of checks)."""

    message = "Support users have read-only access."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in SAFE_METHODS or not core.is_read_only(user):
            return True
        return view.lookup_url_kwarg_present() if hasattr(view, "lookup_url_kwarg_present") else False

    def has_object_permission(self, request, view, obj):
        return request.method in SAFE_METHODS or not core.is_read_only(request.user)


class UserPermission(BasePermission):
    """Adapter of a predicate of the user alone, `rule(user)`: asked before the action runs."""

    @staticmethod
    def rule(user) -> bool:
        raise NotImplementedError

    def has_permission(self, request, view):
        return self.rule(request.user)


class ObjectPermission(BasePermission):
    """Adapter of a predicate `rule(user, obj)`: asked once the object is found (404 first)."""

    @staticmethod
    def rule(user, obj) -> bool:
        raise NotImplementedError

    def has_object_permission(self, request, view, obj):
        return self.rule(request.user, obj)


def adapt(base: type, rule, message: str) -> type:
    """The permission class of `base` that asks `rule` and refuses with `message`."""
    name = "".join(word.capitalize() for word in rule.__name__.split("_"))
    return type(name, (base,), {"rule": staticmethod(rule), "message": message, "__doc__": rule.__doc__})


def require(request, permission: type, *obj) -> None:
    """Ask `permission`'s predicate about `obj` (none for a predicate of the user alone); 403 if refused."""
    if not permission.rule(request.user, *obj):
        raise PermissionDenied(permission.message)


# core
CanManageUsers = adapt(UserPermission, core.can_manage_users, "Only staff can create users.")
CanChangeUser = adapt(ObjectPermission, core.can_change_user, "You can only change your own names.")

# calls, configurations, proposals
CanCreateCall = adapt(UserPermission, calls.can_create_call, "Only staff can create calls.")
CanManageCall = adapt(ObjectPermission, calls.can_manage_call, CALL_MANAGERS_ONLY)
CanReadCallManagement = adapt(ObjectPermission, calls.can_read_call_management, CALL_MANAGERS_ONLY)
CanChangeCallManagers = adapt(
    ObjectPermission, calls.can_change_call_managers, "Only staff can change the managers of a call."
)
CanManageAssignmentConfiguration = adapt(
    ObjectPermission, calls.can_manage_assignment_configuration, CALL_MANAGERS_ONLY
)
CanEditProposal = adapt(
    ObjectPermission, calls.can_edit_proposal, "Only the proposal's creator or the call's managers can change it."
)
CanSubmitProposal = adapt(ObjectPermission, calls.can_submit_proposal, "Only the proposal's creator can submit it.")

# reviewer profiles, pool entries, bids
CanEditProfile = adapt(
    ObjectPermission, reviewers.can_edit_profile, "Only the owner of this reviewer profile or staff can change it."
)
CanManagePoolEntry = adapt(ObjectPermission, reviewers.can_manage_pool_entry, CALL_MANAGERS_ONLY)
CanRespondToInvitation = adapt(ObjectPermission, reviewers.can_respond_to_invitation, OWNER_ONLY)
CanChangeBid = adapt(ObjectPermission, reviewers.can_change_bid, "Only the reviewer who placed this bid can change it.")

# conflicts
CanManageConflict = adapt(ObjectPermission, conflicts.can_manage_conflict, CALL_MANAGERS_ONLY)
CanManageDetectionJob = adapt(ObjectPermission, conflicts.can_manage_detection_job, CALL_MANAGERS_ONLY)

# batches and items
CanManageBatch = adapt(ObjectPermission, assignments.can_manage_batch, CALL_MANAGERS_ONLY)
CanManageItem = adapt(ObjectPermission, assignments.can_manage_item, CALL_MANAGERS_ONLY)
CanReadItemSuggestions = adapt(ObjectPermission, assignments.can_read_item_suggestions, CALL_MANAGERS_ONLY)
CanRespondToItem = adapt(ObjectPermission, assignments.can_respond_to_item, OWNER_ONLY)
CanManageMatchingJob = adapt(ObjectPermission, assignments.can_manage_matching_job, CALL_MANAGERS_ONLY)

# reviews
CanCreateReviews = adapt(UserPermission, reviews.can_create_reviews, CALL_MANAGERS_ONLY)
CanCreateReviewFor = adapt(ObjectPermission, reviews.can_create_review_for, CALL_MANAGERS_ONLY)
CanWriteReview = adapt(ObjectPermission, reviews.can_write_review, OWNER_ONLY)
CanRejectReview = adapt(
    ObjectPermission, reviews.can_reject_review, "Only the reviewer or a call manager can perform this action."
)


def require_manager(request, call) -> None:
    """Call actions (§3.5): managers act; support may also read; everyone else who sees the call: 403."""
    require(request, CanReadCallManagement if request.method in SAFE_METHODS else CanManageCall, call)
