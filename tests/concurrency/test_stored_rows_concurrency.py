"""Two transactions writing one profile's publications at once on PostgreSQL
(referee.api.stored_rows): the second's trigger waits for the first to commit, then renders both
rows. Rendering in the statement that waited would have kept the snapshot from before the first
commit, and dropped the first writer's row."""

import threading
import time

import pytest
from django.db import transaction

from referee.reviewers.models import ReviewerPublication
from tests import factories as f
from tests.api.test_stored_rows import kept, rendered_now
from tests.helpers import TIMEOUT, started, waiting_for_a_lock

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("second_write", ["insert", "update"])
def test_a_writer_waiting_for_another_renders_both_rows(second_write):
    profile = f.profile(f.user("writer"))
    earlier = profile.publications.create(title="Earlier", publication_year=2018)
    first_written, second_waits = threading.Event(), threading.Event()

    def first():
        with transaction.atomic():
            profile.publications.create(title="First", publication_year=2020)
            first_written.set()
            assert second_waits.wait(TIMEOUT)

    def second():
        assert first_written.wait(TIMEOUT)
        with transaction.atomic():
            if second_write == "insert":
                profile.publications.create(title="Second", publication_year=2021)
            else:
                ReviewerPublication.objects.filter(pk=earlier.pk).update(title="Second")

    (first_thread, first_done), (second_thread, second_done) = started(first), started(second)
    deadline = time.monotonic() + TIMEOUT
    while not waiting_for_a_lock():
        assert second_thread.is_alive() and time.monotonic() < deadline, f"the second never waited: {second_done}"
        time.sleep(0.01)
    second_waits.set()
    for thread in (first_thread, second_thread):
        thread.join(TIMEOUT)
        assert not thread.is_alive(), "a writer never finished (deadlock?)"
    assert first_done == second_done == {"result": None}
    _, texts = kept(profile)
    assert texts == rendered_now(profile)
    assert '"title":"First"' in texts[2] and '"title":"Second"' in texts[2]
