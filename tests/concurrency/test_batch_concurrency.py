"""Real concurrent requests on PostgreSQL (§7): row locks serialise batch actions and manual
assignment, so racing requests end in one consistent state, never a 500 or a deadlock.

Each thread uses its own database connection (Django's are per thread) and closes it at the
end; a barrier releases the requests together."""


import pytest

from referee.assignments.models import AssignmentBatch, AssignmentItem
from referee.core.models import AuditEvent
from tests import factories as f
from tests.helpers import ROUNDS, client_for, race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def post(user, path, data=None):
    client = client_for(user)
    return lambda: client.post(path, data or {}, format="json")


def draft_with_items(world, entry=None, count=2):
    batch = f.batch(entry or world.entry)
    for _ in range(count):
        f.item(batch, f.proposal(world.round))
    return batch


def test_two_managers_sending_the_same_batch(world):
    for _ in range(ROUNDS):
        batch = draft_with_items(world)
        path = f"/api/assignment-batches/{batch.uuid.hex}/send/"
        responses = race(post(world.manager, path), post(world.staff, path))
        assert sorted(r.status_code for r in responses) == [200, 400]
        refused = next(r for r in responses if r.status_code == 400)
        assert refused.json() == {"detail": "Only draft batches can be sent."}
        batch.refresh_from_db()
        assert batch.status == "sent" and batch.sent_at is not None
        assert AuditEvent.objects.filter(event_type="ASSIGNMENT_BATCH_SENT", object_uuid=batch.uuid).count() == 1


def test_send_racing_cancel(world):
    for _ in range(ROUNDS):
        batch = draft_with_items(world)
        base = f"/api/assignment-batches/{batch.uuid.hex}/"
        sent, cancelled = race(post(world.manager, base + "send/"), post(world.staff, base + "cancel/"))
        # Either order ends cancelled: a sent batch may still be cancelled, a cancelled one not sent.
        assert cancelled.status_code == 200, cancelled.content
        assert sent.status_code == 200 or sent.json() == {"detail": "Only draft batches can be sent."}
        batch.refresh_from_db()
        assert batch.status == "cancelled"
        assert set(batch.items.values_list("status", flat=True)) == {"expired"}
        event = AuditEvent.objects.get(event_type="ASSIGNMENT_BATCH_CANCELLED", object_uuid=batch.uuid)
        assert event.from_state == ("sent" if sent.status_code == 200 else "draft")
        assert (batch.sent_at is not None) == (sent.status_code == 200)


def test_concurrent_manual_assignments_of_the_same_pair(world):
    path = f"/api/proposal-protected-calls/{world.call.uuid.hex}/create-manual-assignment/"
    for _ in range(ROUNDS):
        proposal = f.proposal(world.round)
        data = {"reviewer_pool_entry_uuid": world.entry.uuid.hex, "proposal_uuids": [proposal.uuid.hex]}
        responses = race(post(world.manager, path, data), post(world.staff, path, data))
        assert [r.status_code for r in responses] == [200, 200], [r.content for r in responses]
        assert sorted(r.json()["items_created"] for r in responses) == [0, 1]
        assert AssignmentItem.objects.filter(pool_entry=world.entry, proposal=proposal).count() == 1
    assert AssignmentBatch.objects.filter(reviewer_pool_entry=world.entry, status="draft").count() == 1


def test_concurrent_manual_assignments_share_one_new_draft(world):
    path = f"/api/proposal-protected-calls/{world.call.uuid.hex}/create-manual-assignment/"
    for _ in range(ROUNDS):
        entry = f.pool_entry(world.call, f.profile(f.user()))
        requests = [
            post(user, path, {"reviewer_pool_entry_uuid": entry.uuid.hex, "proposal_uuids": [f.proposal(world.round).uuid.hex]})
            for user in (world.manager, world.staff, world.manager)
        ]
        responses = race(*requests)
        assert {r.status_code for r in responses} == {200}
        assert len({r.json()["batch_uuid"] for r in responses}) == 1
        assert AssignmentBatch.objects.get(reviewer_pool_entry=entry).items.count() == 3


def test_extend_racing_cancel_on_a_sent_batch(world):
    from datetime import timedelta

    from django.utils import timezone

    for _ in range(ROUNDS):
        batch = f.batch(world.entry, status="sent")
        f.item(batch, f.proposal(world.round))
        base = f"/api/assignment-batches/{batch.uuid.hex}/"
        target = (timezone.now() + timedelta(days=30)).isoformat()
        extended, cancelled = race(post(world.manager, base + "extend-deadline/", {"expires_at": target}),
                                   post(world.staff, base + "cancel/"))
        assert cancelled.status_code == 200
        assert extended.status_code == 200 or extended.json() == {
            "detail": "Can only extend deadline for sent or expired batches."}
        batch.refresh_from_db()
        assert batch.status == "cancelled"


def delete(user, path):
    client = client_for(user)
    return lambda: client.delete(path)


def test_two_callers_deleting_the_same_batch_and_item(world):
    """Found by the fuzz test: the second DELETE read the row, then found it gone when it locked
    it (DoesNotExist, a 500). It is 404, as it would have been a moment later."""
    for _ in range(ROUNDS):
        batch = draft_with_items(world)
        path = f"/api/assignment-batches/{batch.uuid.hex}/"
        responses = race(delete(world.manager, path), delete(world.staff, path))
        assert sorted(r.status_code for r in responses) in ([204, 404], [204, 204]), responses
        assert not AssignmentBatch.objects.filter(pk=batch.pk).exists()
        item = draft_with_items(world, count=1).items.get()
        path = f"/api/assignment-items/{item.uuid.hex}/"
        responses = race(delete(world.manager, path), delete(world.staff, path))
        assert sorted(r.status_code for r in responses) in ([204, 404], [204, 204]), responses
        assert not AssignmentItem.objects.filter(pk=item.pk).exists()
        AssignmentBatch.objects.filter(pk=item.batch_id).delete()  # the pool entry's one draft, for the next round
