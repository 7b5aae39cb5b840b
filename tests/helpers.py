"""Assertions shared by API tests."""

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
