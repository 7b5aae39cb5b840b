"""Users (§3.12): a token is shown to its owner only; nobody removes their own staff or active
flag; the last active staff user keeps both (the admin's side: tests/test_admin.py)."""

import pytest

from referee.core.accounts import token_for
from referee.core.models import AuditEvent, User
from tests import factories as f
from tests.helpers import ROLES, client_for, role_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_a_token_is_shown_to_its_owner_only(world, role):
    viewer = role_user(world, role)
    client = client_for(viewer)
    assert client.get("/api/users/me/").json()["token"] == token_for(viewer)
    rows = client.get("/api/users/", {"page_size": 300}).json()
    assert {row["username"]: row["token"] for row in rows if row["token"]} == {viewer.username: token_for(viewer)}
    other = world.stranger if viewer != world.stranger else world.staff
    response = client.get(f"/api/users/{other.uuid.hex}/")
    assert response.status_code == (200 if role in ("staff", "support") else 404)
    if response.status_code == 200:
        assert response.json()["token"] == ""


@pytest.mark.parametrize(("flag", "message"), [("is_staff", "You cannot remove your own staff status."),
                                               ("is_active", "You cannot deactivate your own account.")])
def test_staff_cannot_remove_their_own_flag(world, flag, message):
    f.user("second-staff", is_staff=True)  # not the last one: the refusal is about oneself
    response = client_for(world.staff).patch(f"/api/users/{world.staff.uuid.hex}/", {flag: False}, format="json")
    assert (response.status_code, response.json()) == (400, {flag: [message]})
    world.staff.refresh_from_db()
    assert world.staff.is_staff and world.staff.is_active
    assert not AuditEvent.objects.filter(event_type="USER_ROLES_CHANGED").exists()


@pytest.mark.parametrize("flag", ["is_staff", "is_active"])
def test_the_last_active_staff_user_keeps_both_flags(world, flag):
    other = f.user("other-staff", is_staff=True)
    other_client = client_for(other)
    # other takes the flag from the original staff user: allowed, one staff user remains...
    response = other_client.patch(f"/api/users/{world.staff.uuid.hex}/", {flag: False}, format="json")
    assert response.status_code == 200 and response.json()[flag] is False
    event = AuditEvent.objects.get(event_type="USER_ROLES_CHANGED")
    assert (event.actor, event.object_uuid, event.context) == (other, world.staff.uuid, {"changes": {flag: False}})
    # ...and that one cannot be demoted by anybody: an inactive or non-staff caller cannot even try.
    assert User.objects.filter(is_staff=True, is_active=True).get() == other
    response = other_client.patch(f"/api/users/{other.uuid.hex}/", {"is_staff": False}, format="json")
    assert response.status_code == 400


def test_staff_may_change_other_flags_and_names_of_themselves(world):
    response = client_for(world.staff).patch(f"/api/users/{world.staff.uuid.hex}/",
                                             {"first_name": "Stella", "is_staff": True, "is_support": True},
                                             format="json")
    assert response.status_code == 200
    assert (response.json()["first_name"], response.json()["is_support"]) == ("Stella", True)


def test_staff_may_deactivate_another_user(world):
    response = client_for(world.staff).patch(f"/api/users/{world.stranger.uuid.hex}/", {"is_active": False},
                                             format="json")
    assert response.status_code == 200
    world.stranger.refresh_from_db()
    assert not world.stranger.is_active
    assert client_for(world.stranger).get("/api/users/me/").status_code == 401


def test_a_plain_user_changes_their_names_only(world):
    response = client_for(world.stranger).patch(
        f"/api/users/{world.stranger.uuid.hex}/",
        {"first_name": "Stan", "email": "new@example.org", "is_staff": True, "username": "boss"}, format="json")
    assert response.status_code == 200
    world.stranger.refresh_from_db()
    assert (world.stranger.first_name, world.stranger.email, world.stranger.is_staff, world.stranger.username) == (
        "Stan", "stranger@example.org", False, "stranger")
