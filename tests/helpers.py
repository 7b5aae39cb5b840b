"""Assertions and tools shared by tests."""

import threading

from celery._state import _set_task_join_will_block
from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content
    return len(ctx)


def assert_constant_queries(client, url, add_rows, params=None):
    """The list answers with the same number of queries before and after `add_rows()` adds
    more rows, at the largest page size (§ Standards: query counts constant as rows grow)."""
    params = {"page_size": 300, **(params or {})}
    client.get(url, params)  # warm per-process caches (content types, ...)
    before = count_queries(client, url, params)
    add_rows()
    after = count_queries(client, url, params)
    assert before == after, f"{url}: {before} queries before, {after} after adding rows"


ROUNDS = 5  # each race runs this many times on fresh rows
TIMEOUT = 60  # seconds: a thread still running after this is a deadlock


def race(*requests):
    """Run the callables at once, one thread each; returns their results (or exceptions)."""
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)

    def run(index, request):
        from django.db import connection as thread_connection

        try:
            barrier.wait(timeout=TIMEOUT)
            results[index] = request()
        except Exception as exc:  # reported by the assertions of the caller
            results[index] = exc
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a request never finished (deadlock?)"
    # Celery runs an eager task inside `denied_join_result()`, which saves and restores one
    # process-wide flag: threads interleaving there can leave it set, and every later `.get()` of
    # an eager result in this process then raises "Never call result.get() within a task!".
    _set_task_join_will_block(False)
    for result in results:
        assert not isinstance(result, Exception), repr(result)
    return results
