"""A page whose row is deleted between its read and its action's lock (PostgreSQL, real threads).

The test holds the row's lock itself, so the order is certain: the page's request reads the row,
waits for the lock, the test deletes the row and commits, and the page's lock then finds nothing."""

import time

import pytest
from django.db import transaction
from django.test import Client

from referee.assignments.models import AssignmentBatch
from tests import factories as f
from tests.helpers import TIMEOUT, signed_in, started, waiting_for_a_lock

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def deleted_while_the_page_waits(row, request):
    """Run `request` in a thread while this connection holds `row`'s lock; delete the row once the
    request waits for it; the request's response."""
    with transaction.atomic():
        type(row).objects.select_for_update().get(pk=row.pk)
        thread, answer = started(request)
        deadline = time.monotonic() + TIMEOUT
        while not waiting_for_a_lock():
            assert thread.is_alive() and time.monotonic() < deadline, f"the page never waited: {answer}"
            time.sleep(0.01)
        row.delete()
    thread.join(TIMEOUT)
    assert not thread.is_alive(), "the page never answered"
    return answer["result"]


def test_cancelling_from_the_console_a_batch_another_manager_deletes_is_not_found(world):
    batch = f.batch(world.entry)
    f.item(batch, world.proposal)
    page = signed_in(Client(raise_request_exception=False), world.manager)
    response = deleted_while_the_page_waits(
        batch, lambda: page.post(f"/call/{world.call.uuid}/manage/batches/{batch.uuid}/cancel/"))
    assert response.status_code == 404, getattr(response, "content", response)
    assert not AssignmentBatch.objects.filter(pk=batch.pk).exists()


def test_accepting_an_item_whose_batch_staff_delete_meanwhile_is_not_found(world):
    batch = f.batch(world.entry, status="sent")
    item = f.item(batch, world.proposal)
    page = signed_in(Client(raise_request_exception=False), world.reviewer)
    response = deleted_while_the_page_waits(
        batch, lambda: page.post(f"/reviews/assignments/items/{item.uuid}/accept/"))
    assert response.status_code == 404, getattr(response, "content", response)
    assert not AssignmentBatch.objects.filter(pk=batch.pk).exists()
