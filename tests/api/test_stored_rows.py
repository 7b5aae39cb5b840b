"""referee.api.stored_rows: each profile keeps its nested rows rendered, and every kind of write
keeps the texts equal to the rendering of the rows as they are (api.json_sql's, which
test_json_sql.py compares with DRF's). A page reads them in one statement and answers the same
bytes; a row of other code, or a relation with an inexact row, is rendered as before."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referee.api import queries, stored_rows
from referee.api.json_sql import row_texts
from referee.reviewers.models import ReviewerExpertise, ReviewerPublication
from referee.reviewers.serializers_profiles import NESTED_ROWS, PROFILE_ROWS, ReviewerProfileSerializer
from tests import factories as f
from tests.helpers import client_for

pytestmark = pytest.mark.django_db
ON_POSTGRESQL = connection.vendor == "postgresql"
KEPT = "reviewers_reviewerprofile_rendered"
SOURCES = list(NESTED_ROWS)


def kept(profile) -> tuple | None:
    """(version, texts of each relation) the database keeps for `profile`, None for no row."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT version, {', '.join(SOURCES)} FROM {KEPT} WHERE owner_id = %s", [profile.pk])
        row = cursor.fetchone()
    return None if row is None else (row[0], list(row[1:]))


def rendered_now(profile) -> list:
    """Each relation's rows of `profile` as api.json_sql renders them, joined as they are kept."""
    fields = {field.source: field for field in ReviewerProfileSerializer(context={}).fields.values()}
    return [",".join(text for _, text in row_texts(fields[source], rows, "profile_id", [profile.pk]))
            for source, rows in NESTED_ROWS.items()]


def current_version() -> str:
    return PROFILE_ROWS.plan(ReviewerProfileSerializer(context={}), connection).version


def assert_kept(*profiles):
    for profile in profiles:
        assert kept(profile) == (current_version(), rendered_now(profile)), profile


@pytest.fixture
def two():
    if not ON_POSTGRESQL:
        pytest.skip("the stored renderings are PostgreSQL's (SQLite renders every page: test_columns.py)")
    return f.profile(f.user("first")), f.profile(f.user("second"))


def test_a_new_profile_keeps_empty_relations(two):
    first, _ = two
    assert kept(first) == (current_version(), ["", "", ""])


def test_every_kind_of_write_keeps_the_texts_right(two):
    first, second = two
    cern = f.customer("CERN")
    first.affiliations.create(organization=cern, organization_name="CERN", start_date="2020-01-01", is_primary=True)
    first.affiliations.create(organization_name="Tartu")  # no date: sorts after the dated one
    first.affiliations.create(organization_name="Zürich \"quoted\"", start_date="2022-05-01")
    first.expertise_set.create(expertise_keyword="graphs", proficiency_level="expert")
    flows = second.publications.create(title="Flows", publication_year=2019, abstract="A " * 500)
    assert_kept(first, second)
    assert kept(first)[1][0].count('"uuid"') == 3

    flows.title = "Min-cost flows"
    flows.save()  # an instance's update
    ReviewerPublication.objects.filter(profile=second).update(venue="NeurIPS")  # a queryset's
    ReviewerPublication.objects.bulk_create([  # one statement for two owners
        ReviewerPublication(profile=first, title="Matching", publication_year=2021),
        ReviewerPublication(profile=second, title="Assignment", publication_year=2023)])
    assert_kept(first, second)

    ReviewerPublication.objects.filter(pk=flows.pk).update(profile=first)  # moved: both owners change
    assert_kept(first, second)
    assert "Min-cost flows" in kept(first)[1][2] and "Min-cost flows" not in kept(second)[1][2]

    cern.name = "CERN, Geneva"
    cern.save()  # the related row: the affiliation shows its organisation's name
    assert_kept(first, second)
    assert "CERN, Geneva" in kept(first)[1][0]
    cern.delete()  # SET_NULL on the affiliation
    assert_kept(first, second)

    with connection.cursor() as cursor:  # a raw write
        cursor.execute("INSERT INTO reviewers_reviewerexpertise (uuid, profile_id, expertise_keyword, "
                       "proficiency_level, created, modified) VALUES (gen_random_uuid(), %s, 'raw', '', now(), now())",
                       [second.pk])
    assert_kept(first, second)

    first.publications.all().delete()
    ReviewerExpertise.objects.filter(profile=first).first().delete()
    assert_kept(first, second)
    assert kept(first)[1][1:] == ["", ""]

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's transaction checks its keys now
        cursor.execute("TRUNCATE reviewers_reviewerexpertise")
    assert_kept(first, second)

    gone = second.pk
    second.delete()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {KEPT} WHERE owner_id = %s", [gone])
        assert cursor.fetchone()[0] == 0
    assert_kept(first)


def test_a_page_reads_the_kept_texts_in_one_statement_and_answers_the_same_bytes(two, monkeypatch):
    first, second = two
    first.affiliations.create(organization=f.customer("CERN"), organization_name="CERN", is_primary=True)
    first.expertise_set.create(expertise_keyword="graphs")
    second.publications.create(title="Ünïcode — \u2028", publication_year=2021, abstract="x" * 3000,
                               coauthors=["A B"], external_ids={"arxiv": "2101.00001"})
    staff = client_for(f.user("staff", is_staff=True))
    paths = ["/api/reviewer-profiles/", *(f"/api/reviewer-profiles/{p.uuid.hex}/" for p in (first, second))]
    used = []
    monkeypatch.setattr(queries, "row_texts", lambda *args: used.append(args) or row_texts(*args))
    stored = [answer(staff, path) for path in paths]
    assert used == []  # nothing rendered the rows again
    monkeypatch.setattr(PROFILE_ROWS, "attach", lambda profiles, serializer: None)
    rendered = [answer(staff, path) for path in paths]
    assert [body for body, _ in stored] == [body for body, _ in rendered]
    assert [count + 2 for _, count in stored] == [count for _, count in rendered]  # one statement, not three
    assert json.loads(stored[2][0])["publications"][0]["abstract"] == "x" * 3000


def answer(client, path) -> tuple[bytes, int]:
    with CaptureQueriesContext(connection) as statements:
        response = client.get(path)
    assert response.status_code == 200, response.content[:300]
    return response.content, len(statements)


def test_rows_of_other_code_and_inexact_rows_are_rendered_as_before(two, monkeypatch):
    first, second = two
    first.expertise_set.create(expertise_keyword="graphs")
    second.publications.create(title="Odd", publication_year=2020, external_ids={"pmid": 123})
    assert kept(second)[1][2] is None  # not a text the SQL writes exactly: DRF renders it
    with connection.cursor() as cursor:  # as rendered by another version of the code
        cursor.execute(f"UPDATE {KEPT} SET version = 'other' WHERE owner_id = %s", [first.pk])
    staff = client_for(f.user("staff", is_staff=True))
    asked = []
    monkeypatch.setattr(queries, "row_texts", lambda serializer, rows, key, ids: asked.append(ids) or row_texts(
        serializer, rows, key, ids))
    stored, _ = answer(staff, "/api/reviewer-profiles/")
    # Every relation of the first; the publications of the second too.
    assert sorted(sorted(ids) for ids in asked) == sorted([[first.pk], [first.pk], sorted([first.pk, second.pk])])
    monkeypatch.setattr(PROFILE_ROWS, "attach", lambda profiles, serializer: None)
    assert answer(staff, "/api/reviewer-profiles/")[0] == stored
    odd = {row["uuid"]: row for row in json.loads(stored)}[second.uuid.hex]["publications"][0]
    assert odd["external_ids"] == {"pmid": "123"}


def test_install_renders_everything_again_only_when_the_code_renders_otherwise(two):
    first, _ = two
    first.expertise_set.create(expertise_keyword="graphs")
    assert PROFILE_ROWS.install("default") is False  # installed by migrate, for this code
    with connection.cursor() as cursor:  # an older version installed, with its texts
        cursor.execute(f"UPDATE {KEPT} SET expertise_set_rows = '', version = 'older'")
        cursor.execute("CREATE OR REPLACE FUNCTION referee_reviewerprofile_rendered_version() RETURNS text "
                       "LANGUAGE sql AS $$ SELECT 'older' $$")
    assert PROFILE_ROWS.install("default") is True
    assert_kept(*two)
    assert PROFILE_ROWS.install("default") is False


@pytest.mark.parametrize("installed", ["nothing", "another version"])
def test_code_whose_triggers_are_not_installed_reads_as_before(two, monkeypatch, installed):
    """Deployed before `migrate` ran: no table at all, or the triggers of other code."""
    first, second = two
    first.expertise_set.create(expertise_keyword="graphs")
    second.publications.create(title="Flows", publication_year=2019)
    staff = client_for(f.user("staff", is_staff=True))
    stored, stored_count = answer(staff, "/api/reviewer-profiles/")
    with connection.cursor() as cursor:  # undone with the test's transaction
        if installed == "nothing":
            cursor.execute(f"DROP TABLE {KEPT}")
            cursor.execute("DROP FUNCTION referee_reviewerprofile_rendered_version()")
        else:
            cursor.execute("CREATE OR REPLACE FUNCTION referee_reviewerprofile_rendered_version() RETURNS text "
                           "LANGUAGE sql AS $$ SELECT 'newer' $$")
    monkeypatch.setattr(PROFILE_ROWS, "_installed", {})  # a process that has not asked yet
    assert answer(staff, "/api/reviewer-profiles/") == (stored, stored_count + 2)  # three statements again
    assert list(PROFILE_ROWS._installed.values()) != [True]


def test_a_stale_text_fails_the_test_that_reads_it(two, monkeypatch):
    """The suite's check (VERIFY): a write a trigger missed cannot pass unseen."""
    first, _ = two
    assert stored_rows.VERIFY
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {KEPT} SET affiliations_rows = '{{}}' WHERE owner_id = %s", [first.pk])
    with pytest.raises(AssertionError, match="stale stored rendering"):
        client_for(f.user("staff", is_staff=True)).get(f"/api/reviewer-profiles/{first.uuid.hex}/")

