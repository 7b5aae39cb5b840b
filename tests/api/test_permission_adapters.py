"""The DRF adapters of `referee.api.permissions`: each class asks its predicate, at its moment, and
refuses with its message; `require` asks the same inside an action."""

from types import SimpleNamespace

import pytest
from rest_framework.exceptions import PermissionDenied

from referee.api.permissions import (
    CALL_MANAGERS_ONLY,
    CanCreateCall,
    CanManageCall,
    ObjectPermission,
    UserPermission,
    adapt,
    require,
    require_manager,
)
from referee.calls.predicates import can_create_call, can_manage_call


def request(user, method="POST"):
    return SimpleNamespace(user=user, method=method)


def test_adapters_are_named_after_their_predicate():
    assert (CanManageCall.__name__, CanManageCall.rule, CanManageCall.message) == (
        "CanManageCall", can_manage_call, CALL_MANAGERS_ONLY)
    assert issubclass(CanManageCall, ObjectPermission)
    assert issubclass(CanCreateCall, UserPermission) and CanCreateCall.rule is can_create_call


def test_a_user_permission_is_asked_before_the_object():
    permission = adapt(UserPermission, lambda user: user == "yes", "no")()
    assert permission.has_permission(request("yes"), None)
    assert not permission.has_permission(request("other"), None)
    assert permission.has_object_permission(request("other"), None, object())


def test_an_object_permission_is_asked_about_the_object():
    permission = adapt(ObjectPermission, lambda user, obj: obj == user, "no")()
    assert permission.has_permission(request("a"), None)
    assert permission.has_object_permission(request("a"), None, "a")
    assert not permission.has_object_permission(request("a"), None, "b")


def test_require_raises_the_message_of_the_class(world):
    require(request(world.manager), CanManageCall, world.call)
    require(request(world.staff), CanCreateCall)
    with pytest.raises(PermissionDenied) as refused:
        require(request(world.other_manager), CanManageCall, world.call)
    assert refused.value.detail == CALL_MANAGERS_ONLY


@pytest.mark.parametrize(("role", "method", "allowed"), [
    ("manager", "POST", True), ("manager", "GET", True),
    ("support", "GET", True), ("support", "HEAD", True), ("support", "POST", False),
    ("other_manager", "GET", False), ("reviewer", "GET", False),
])
def test_call_actions_let_support_read(world, role, method, allowed):
    def act():
        require_manager(request(getattr(world, role), method), world.call)

    if allowed:
        act()
    else:
        with pytest.raises(PermissionDenied):
            act()
