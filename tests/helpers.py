"""Assertions and tools shared by tests: API clients per role, the frozen moment, readers of audit
events and mail, query counting and races. Rows are built by tests/factories.py."""

import threading
from datetime import UTC, datetime

import pytest
from celery._state import _set_task_join_will_block
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from referee.core.accounts import token_for
from referee.core.models import AuditEvent
from referee.notifications.models import OutboxMessage

# Where the `clock` fixture (tests/conftest.py) stands until a test moves it.
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
# Where it stands in tests/notifications: the mail snapshots there carry dates a week earlier.
MAIL_NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)

# The roles of §1 around the `world` fixture (tests/conftest.py), in the order tests list them.
ROLES = ("anonymous", "stranger", "reviewer", "other_manager", "manager", "support", "staff")
# Every list under /api/ that is not scoped to one call.
API_LISTS = ("/api/assignment-batches/", "/api/assignment-items/", "/api/my-assignment-batches/",
             "/api/proposed-assignments/", "/api/proposal-reviews/", "/api/call-reviewer-pools/",
             "/api/conflicts-of-interest/", "/api/coi-detection-jobs/", "/api/reviewer-bids/",
             "/api/reviewer-bids/my-bids/", "/api/reviewer-profiles/", "/api/proposal-proposals/",
             "/api/proposal-protected-calls/", "/api/call-assignment-configurations/", "/api/events/",
             "/api/users/", "/api/customers/")


def client_for(user=None) -> APIClient:
    """A DRF test client authenticated as `user` by token; anonymous without one."""
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


def role_user(world, role):
    """The world's user playing `role` (a name of ROLES, or another attribute such as "applicant")."""
    return None if role == "anonymous" else getattr(world, role)


def as_role(world, role) -> APIClient:
    return client_for(role_user(world, role))


def role_matrix(expected: dict):
    """Parametrise a test over `role` and what is `expected` for it, one test per role named by the
    role, so a run reports every role that gets a wrong answer. `expected` maps each role the test
    covers to its status (or another expectation the test reads)."""
    unknown = set(expected) - {*ROLES, "applicant"}
    assert not unknown, f"no such role in the world fixture: {sorted(unknown)}"
    return pytest.mark.parametrize(("role", "expected"), list(expected.items()), ids=list(expected))


def assert_visible(client, role, list_url, rows: dict, visible: set, detail, parse=None):
    """What `role` sees of `rows` (name → row): the list at `list_url` holds exactly the `visible`
    names (each listed row read by `parse`, when given) and each row's detail URL, `detail(row)`,
    answers 200 when visible and 404 when not; anonymous gets 401 for all."""
    response = client.get(list_url)
    if role == "anonymous":
        assert response.status_code == 401
    else:
        listed = response.json()
        for row in listed if parse else ():
            parse(row)
        assert {row["uuid"] for row in listed} == {rows[name].uuid.hex for name in visible}
    for name, row in rows.items():
        expected = 401 if role == "anonymous" else 200 if name in visible else 404
        assert client.get(detail(row)).status_code == expected, (role, name)


def signed_in(client, user):
    """A page test client with `user`'s session (anonymous when None)."""
    if user is not None:
        client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


def assert_read_only(client, role, list_url, detail_url, *, create: dict, change: dict):
    """A collection without writes: POST to the list, PATCH and DELETE of a row answer 405 to every
    signed-in role (before any role check) and 401 to anonymous."""
    expected = 401 if role == "anonymous" else 405
    assert client.post(list_url, create, format="json").status_code == expected
    assert client.patch(detail_url, change, format="json").status_code == expected
    assert client.delete(detail_url).status_code == expected


def events(event_type) -> list[AuditEvent]:
    """The audit events of one type, in the order they were recorded."""
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("id"))


def outbox(template=None) -> list[OutboxMessage]:
    """The queued mail (of one template, when given), in the order it was queued."""
    rows = OutboxMessage.objects.order_by("id")
    return list(rows.filter(template=template) if template else rows)


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



def assert_listed_rows_read_only_what_they_show(client, url, table, unshown):
    """The list's page statement (the first selecting from `table`) selects none of the `unshown`
    columns, and each listed row equals its detail, which reads whole rows."""
    with CaptureQueriesContext(connection) as queries:
        rows = client.get(url).json()
    page = next(query["sql"] for query in queries.captured_queries if query["sql"].startswith(f'SELECT "{table}"."id"'))
    assert [column for column in unshown if f'"{column}"' in page] == []
    assert rows
    for row in rows:
        assert client.get(f"{url}{row['uuid']}/").json() == row

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


def started(work) -> tuple[threading.Thread, dict]:
    """`work` running in a thread of its own, on its own connection (closed when it ends); the
    dict gets its "result", or the exception it raised, for the caller's assertions."""
    outcome = {}

    def run():
        from django.db import connection as thread_connection

        try:
            outcome["result"] = work()
        except Exception as exc:  # reported by the assertions of the caller
            outcome["result"] = exc
        finally:
            thread_connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def waiting_for_a_lock() -> bool:
    """Another connection waits for a row lock. (Inside a transaction PostgreSQL keeps the first
    snapshot of its activity statistics: clear it at each look.)"""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0] > 0
