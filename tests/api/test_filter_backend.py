"""api.filters.FilterBackend: a list whose request names none of its filters is not run through
django-filter, and answers exactly as it would have (the same statements, the same bytes); a
filter set that filters without a parameter, or a request naming a filter, takes the whole path."""

import django_filters
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referee.api import filters
from referee.assignments.filters import AssignmentBatchFilter, MyAssignmentBatchFilter
from tests import factories as f
from tests.helpers import API_LISTS, ROLES, as_role


@pytest.fixture
def rows(world):
    batch = f.batch(world.entry, status="sent", created_by=world.manager)
    f.item(batch, world.proposal)
    f.item(f.batch(world.entry, status="draft"), world.proposal2)
    f.conflict(world.profile, world.proposal)
    return world


def answer(client, path, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    return response.status_code, response.content, [query["sql"] for query in queries.captured_queries]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_a_list_without_filter_parameters_answers_as_django_filter_would(rows, role, monkeypatch):
    client, skipped = as_role(rows, role), []
    real = filters.inert_when_empty

    def recording(filterset_class):
        skipped.append(filterset_class)
        return real(filterset_class)

    for path in API_LISTS:
        for params in ({}, {"page_size": 2, "page": 1, "o": "-created"}):
            client.get(path, params)  # per-process caches warm, for both runs
            monkeypatch.setattr(filters, "inert_when_empty", recording)
            fast = answer(client, path, params)
            monkeypatch.setattr(filters, "inert_when_empty", lambda filterset_class: False)
            whole = answer(client, path, params)
            assert fast == whole, (role, path, params)
    assert skipped or role == "anonymous"  # every list of a signed-in caller asked


@pytest.mark.django_db
def test_a_filter_set_with_a_default_filter_takes_the_whole_path(rows):
    assert filters.inert_when_empty(AssignmentBatchFilter)
    assert not filters.inert_when_empty(MyAssignmentBatchFilter)  # sent batches unless asked
    body = as_role(rows, "reviewer").get("/api/my-assignment-batches/").json()
    assert [batch["status"] for batch in body] == ["sent"]  # the draft is not listed


@pytest.mark.django_db
def test_a_request_naming_a_filter_is_filtered_and_validated(rows):
    client = as_role(rows, "manager")
    assert [b["status"] for b in client.get("/api/assignment-batches/", {"status": "draft"}).json()] == ["draft"]
    response = client.get("/api/assignment-batches/", {"status": "nope"})
    assert response.status_code == 400 and "status" in response.json()
    assert len(client.get("/api/assignment-batches/", {"unknown": "x"}).json()) == 2  # ignored, as before


class Defaulted(django_filters.FilterSet):
    name = django_filters.CharFilter(required=True)


class Custom(django_filters.FilterSet):
    class Odd(django_filters.Filter):
        def filter(self, qs, value):
            return qs.none()

    odd = Odd()


class Ranged(django_filters.FilterSet):
    size = django_filters.RangeFilter()


def test_only_filters_known_to_do_nothing_without_a_value_are_skipped():
    assert not filters.inert_when_empty(Defaulted)  # a missing required filter is a 400
    assert not filters.inert_when_empty(Custom)  # its own `filter` might filter an empty value
    assert filters._names_filter(Ranged, "size_min") and filters._names_filter(Ranged, "size")
    assert not filters._names_filter(Ranged, "page_size")
