"""The Django admin works for staff: batch and item statuses visible and searchable, audit read-only."""

import pytest
from django.urls import reverse

from referee.core.models import AuditEvent
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
