"""The Django admin works for staff: batch and item statuses visible and searchable, audit read-only."""

from datetime import datetime

import pytest
from django.urls import reverse

from referee.core.models import AuditEvent, User
from tests import factories as f


@pytest.fixture
def staff_client(client, world):
    world.staff.is_superuser = True
    world.staff.save()
    client.force_login(world.staff)
    return client


@pytest.mark.django_db
def test_changelists_load_with_search(staff_client, world):
    batch = f.batch(world.entry, status="sent")
    f.item(batch, world.proposal)
    for model in ("assignments/assignmentbatch", "assignments/assignmentitem", "core/auditevent", "core/user",
                  "conflicts/conflictofinterest", "reviewers/callreviewerpool", "calls/call"):
        response = staff_client.get(f"/admin/{model}/", {"q": "sent"})
        assert response.status_code == 200, model
    page = staff_client.get("/admin/assignments/assignmentbatch/", {"status__exact": "sent"})
    assert b"Sent to reviewer" in page.content


@pytest.mark.django_db
def test_audit_events_are_read_only(staff_client, world):
    event = AuditEvent.objects.create(event_type="X", object_type="Call", object_uuid=world.call.uuid)
    assert staff_client.get(reverse("admin:core_auditevent_add")).status_code == 403
    assert staff_client.post(reverse("admin:core_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def admin_form(user, **changes):
    data = {"username": user.username, "email": user.email, "first_name": user.first_name,
            "last_name": user.last_name, "is_active": "on" if user.is_active else "",
            "is_staff": "on" if user.is_staff else "", "is_support": "on" if user.is_support else "",
            "is_superuser": "on" if user.is_superuser else "", "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00", "initial-date_joined_0": "2026-01-01", "initial-date_joined_1": "00:00:00"}
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


@pytest.mark.django_db
def test_the_admin_refuses_the_same_role_changes_as_the_api(staff_client, world):
    url = f"/admin/core/user/{world.staff.pk}/change/"
    page = staff_client.post(url, admin_form(world.staff, is_staff=""))
    assert page.status_code == 200  # the form again, with the error
    assert b"You cannot remove your own staff status." in page.content
    world.staff.refresh_from_db()
    assert world.staff.is_staff
    assert staff_client.post(f"/admin/core/user/{world.stranger.pk}/change/",
                             admin_form(world.stranger, is_staff="on")).status_code == 302
    assert User.objects.get(pk=world.stranger.pk).is_staff
    assert AuditEvent.objects.filter(event_type="USER_ROLES_CHANGED", actor=world.staff).count() == 1


def admin_form_errors(staff, obj, **changes) -> dict:
    """The errors of the admin's change form of `obj` with `changes` (None: valid), as the admin
    shows them beside the fields."""
    from django.contrib import admin
    from django.forms.models import model_to_dict
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = staff
    model_admin = admin.site._registry[type(obj)]
    data = {key: getattr(value, "pk", value) for key, value in {**model_to_dict(obj), **changes}.items()
            if value is not None}
    for key, value in list(data.items()):
        if isinstance(value, datetime):  # the admin's split date and time inputs
            data.update({f"{key}_0": value.date().isoformat(), f"{key}_1": value.time().isoformat()})
    form = model_admin.get_form(request, obj, change=True)(data, instance=type(obj).objects.get(pk=obj.pk))
    return None if form.is_valid() else form.errors


@pytest.mark.django_db
def test_a_proposal_and_a_round_with_proposals_stay_in_their_call(world):
    """Rows are counted under their proposal's call (referee.api.row_counts): the admin says why
    it refuses a move instead of failing on the database's guard."""
    world.staff.is_superuser = True
    other_round = f.round_(world.other_call)
    errors = admin_form_errors(world.staff, world.proposal, round=other_round)
    assert "A proposal stays in its call" in errors["round"][0]
    assert admin_form_errors(world.staff, world.proposal, round=f.round_(world.call)) is None
    assert "stays in its call" in admin_form_errors(world.staff, world.round, call=world.other_call)["call"][0]
    assert admin_form_errors(world.staff, other_round, call=world.call) is None  # no proposals yet
