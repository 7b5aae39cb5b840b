"""Two transactions writing one profile's publications at once on PostgreSQL
(referee.api.stored_rows): the second's trigger waits for the first to commit, then renders both
rows. Rendering in the statement that waited would have kept the snapshot from before the first
commit, and dropped the first writer's row."""

import threading

import pytest
from django.db import connection, transaction

from referee.reviewers.models import ReviewerPublication
from tests import factories as f
from tests.api.test_stored_rows import kept, rendered_now
from tests.helpers import TIMEOUT

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0] > 0


def in_thread(work, failures):
    def run():
        from django.db import connection as thread_connection

        try:
            work()
        except Exception as exc:  # reported by the test
            failures.append(exc)
        finally:
            thread_connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.parametrize("second_write", ["insert", "update"])
def test_a_writer_waiting_for_another_renders_both_rows(second_write):
    profile = f.profile(f.user("writer"))
    earlier = profile.publications.create(title="Earlier", publication_year=2018)
    first_written, second_waits, failures = threading.Event(), threading.Event(), []

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

    threads = [in_thread(first, failures), in_thread(second, failures)]
    for _ in range(TIMEOUT * 20):
        if waiting_for_a_lock():
            break
        threading.Event().wait(0.05)
    else:
        pytest.fail("the second writer never waited for the first")
    second_waits.set()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not failures
    version, texts = kept(profile)
    assert texts == rendered_now(profile)
    assert '"title":"First"' in texts[2] and '"title":"Second"' in texts[2]
