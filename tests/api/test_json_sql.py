"""referee.api.json_sql: on PostgreSQL a profile's nested rows are written as JSON by the database,
with the text DRF writes for them (the same bytes but for the spacing inside JSON columns), the
same statements, and rows it cannot write exactly rendered by their serializer. On SQLite the
Python paths render them (tests/api/test_columns.py compares those)."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers

from referee.api import queries
from referee.api.fields import HexUUIDField
from referee.api.json_sql import row_object, row_texts
from referee.api.renderers import json_bytes
from referee.api.rows import ModelSerializer
from referee.reviewers.models import ReviewerPublication
from referee.reviewers.serializers_profiles import NESTED_ROWS, PROFILE_ROWS, ReviewerProfileSerializer
from tests import factories as f
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

# Every character JSON escapes, quotes, a backslash, JavaScript's line breaks, non-ASCII, an emoji.
AWKWARD = "\"quoted\" back\\slash \x01\x08\t\n\x0c\r\x1f\x7f \u2028\u2029 Ünïcode — 😀 %s %% {0} 'it''s'"
WHOLE_SECOND = datetime.datetime(2024, 2, 29, 23, 59, 59, tzinfo=datetime.UTC)
TRAILING_ZEROS = datetime.datetime(1999, 1, 2, 3, 4, 5, 120000, tzinfo=datetime.UTC)


@pytest.fixture
def profiles():
    staff = f.user("staff", is_staff=True)
    first, second, empty = (f.profile(f.user(name)) for name in ("first", "second", "empty"))
    cern = f.customer(f"CERN {AWKWARD}")
    first.affiliations.create(organization=cern, organization_name="CERN", department=AWKWARD,
                              start_date="2020-01-01", end_date="2021-12-31", is_primary=True, country="CH")
    first.affiliations.create(organization_name=AWKWARD, position_title="")
    first.expertise_set.create(expertise_keyword=AWKWARD, proficiency_level="expert", years_experience=7,
                               last_active_date="0999-01-01")
    first.expertise_set.create(expertise_keyword="graphs")
    second.publications.create(title=AWKWARD, publication_year=2021, abstract=AWKWARD * 50, doi="10.1/x")
    second.publications.create(title="Flows", publication_year=2019, coauthors=["A B", {"name": AWKWARD, "n": 1.5}],
                               external_ids={"arxiv": "2101.00001", "none": None, "quote": AWKWARD})
    for relation in (first.affiliations, first.expertise_set, second.publications):
        rows = list(relation.order_by("pk"))
        relation.filter(pk=rows[0].pk).update(created=WHOLE_SECOND, modified=TRAILING_ZEROS)
    return staff, [first, second, empty]


def answers(client, paths):
    """(status, parsed body, statements) of each path."""
    found = []
    for path in paths:
        with CaptureQueriesContext(connection) as statements:
            response = client.get(path)
        assert response.status_code == 200, response.content[:300]
        found.append((response.status_code, json.loads(response.content), len(statements)))
    return found


def test_the_database_renders_nested_rows_as_the_serializers_do(profiles, monkeypatch):
    staff, rows = profiles
    taken, real = [], queries.row_texts
    monkeypatch.setattr(PROFILE_ROWS, "attach", lambda profiles, serializer: None)  # not the stored texts

    def recording(serializer, rows, key, ids):
        texts = real(serializer, rows, key, ids)
        taken.append((type(serializer.child).__name__, texts is not None))
        return texts

    client = client_for(staff)
    paths = ["/api/reviewer-profiles/", *(f"/api/reviewer-profiles/{profile.uuid.hex}/" for profile in rows)]
    monkeypatch.setattr(queries, "row_texts", recording)
    from_database = answers(client, paths)
    monkeypatch.setattr(queries, "row_texts", lambda serializer, rows, key, ids: None)
    from_python = answers(client, paths)
    assert from_database == from_python  # status, JSON and the number of statements
    on_postgresql = connection.vendor == "postgresql"
    assert {name for name, rendered in taken if rendered} == ({
        "ReviewerAffiliationSerializer", "ReviewerExpertiseSerializer", "ReviewerPublicationSerializer"}
        if on_postgresql else set())
    assert all(rendered == on_postgresql for _, rendered in taken)
    listed = {row["uuid"]: row for row in from_database[0][1]}
    first = listed[rows[0].uuid.hex]
    assert {row["organization_name_display"] for row in first["affiliations"]} == {f"CERN {AWKWARD}", AWKWARD}
    assert listed[rows[2].uuid.hex]["publications"] == []


def nested(name):
    """The bound nested serializer of a profile's relation `name`, and the rows it reads."""
    field = ReviewerProfileSerializer(context={}).fields[name]
    return field, NESTED_ROWS[field.source]


@pytest.mark.parametrize("name", ["affiliations", "expertise_set", "publications"])
def test_each_row_is_the_bytes_drf_writes(profiles, name):
    """Byte for byte, for every row without content in a JSON column (jsonb's text has spaces):
    escapes, key order, dates, whole-second and trailing-zero timestamps, nulls, the
    organisation's uuid and name."""
    _, rows = profiles
    field, queryset = nested(name)
    page = queryset.filter(profile__in=rows)
    texts = row_texts(field, queryset, "profile_id", [row.pk for row in rows])
    if connection.vendor != "postgresql":
        assert texts is None  # SQLite: the Python paths render them
        return
    expected = [(row.profile_id, json_bytes(field.child.to_representation(row)).decode()) for row in page]
    assert len(texts) == len(expected) >= 2
    compared = 0
    for (owner, text), (expected_owner, expected_text) in zip(texts, expected, strict=True):
        assert owner == expected_owner
        if '"coauthors":["A B"' in expected_text:
            assert json.loads(text) == json.loads(expected_text)  # jsonb spacing in its JSON columns
        else:
            assert text == expected_text
            compared += 1
    assert compared >= 1
    assert any("59:59Z" in text for _, text in texts) and any(".120000Z" in text for _, text in texts)


def test_identifiers_that_are_not_texts_are_rendered_by_the_serializer(profiles):
    """external_ids is rendered by DRF's DictField of texts (`str` of each value): a value that is
    not a text or null makes its row inexact in SQL, so that row alone is rendered from its
    instance, in its place."""
    _, rows = profiles
    second = rows[1]
    odd = second.publications.create(title="Odd", publication_year=2020,
                                      external_ids={"pmid": 123, "flag": True, "nested": {"a": 1}, "gone": None})
    field, queryset = nested("publications")
    with CaptureQueriesContext(connection) as statements:
        texts = row_texts(field, queryset, "profile_id", [second.pk])
    if connection.vendor != "postgresql":
        assert texts is None
        return
    assert len(statements) == 2  # the rows, then the inexact one as an instance
    by_title = {json.loads(text)["title"]: json.loads(text) for _, text in texts}
    assert by_title["Odd"]["external_ids"] == {"pmid": "123", "flag": "True", "nested": "{'a': 1}", "gone": None}
    assert [json.loads(text)["title"] for _, text in texts] == [row.title for row in queryset.filter(profile=second)]
    assert by_title["Odd"] == ReviewerProfileSerializer(context={}).fields["publications"].child.to_representation(odd)


def test_an_indented_response_holds_the_same_rows(profiles):
    staff, _ = profiles
    client = client_for(staff)
    compact = client.get("/api/reviewer-profiles/")
    indented = client.get("/api/reviewer-profiles/", HTTP_ACCEPT="application/json; indent=2")
    assert indented.status_code == 200
    assert b'\n  {\n    "url"' in indented.content
    assert json.loads(indented.content) == json.loads(compact.content)
    assert b"\\u2028" in compact.content and "\u2028".encode() not in compact.content  # DRF's escape


def publication_serializer(**declared):
    """A serializer of publications with `declared` fields beside uuid (as hex) and title."""
    meta = type("Meta", (), {"model": ReviewerPublication, "fields": ["uuid", "title", *declared]})
    return type("Probe", (ModelSerializer,), {"Meta": meta, "get_mood": lambda self, obj: "fine",
                                              "uuid": HexUUIDField(read_only=True), **declared})()


def test_a_field_without_an_sql_rendering_keeps_the_serializer_on_the_python_paths():
    """Decided from the fields alone, before any query: a method that does not say what it reads,
    a DRF field through a relation (DRF's rules for a missing object), a property."""
    assert row_object(publication_serializer(), ReviewerPublication, connection) is not None
    refused = {"mood": serializers.SerializerMethodField(),
               "owner_email": serializers.CharField(source="profile.user.email"),
               "pk_text": serializers.CharField(source="pk"),
               "dashed": serializers.UUIDField(source="uuid")}  # DRF's hyphenated format
    for name, field in refused.items():
        assert row_object(publication_serializer(**{name: field}), ReviewerPublication, connection) is None, name
