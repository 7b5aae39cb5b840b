"""referee.core.statements: a statement whose only varying input is a page's ids (on PostgreSQL)
or one key (on either database) is compiled once per process, gives the rows the queryset gives
(converted as Django converts them), and a statement kept under a key that does not name
everything it reads is caught."""

import pytest
from django.db import connection
from django.db.models import Count, Max, Q
from django.test.utils import CaptureQueriesContext

from referee.calls.serializers.proposals import attach_teams
from referee.core import statements
from referee.core.statements import rows_for
from referee.reviewers.models import ReviewerExpertise
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    """No statement kept from other tests; VERIFY as each test sets it."""
    monkeypatch.setattr(statements, "_compiled", {})
    monkeypatch.setattr(statements, "VERIFY", False)


@pytest.fixture
def profiles():
    found = [f.profile(f.user(name)) for name in ("ada", "bo", "cy")]
    for profile, keywords in zip(found, (["graphs", "flows"], ["flows"], []), strict=True):
        for keyword in keywords:
            profile.expertise_set.create(expertise_keyword=keyword)
    return found


def counted(profile_ids):
    """Aggregates, so that Django converts the counts (an int converter) as it would."""
    return ReviewerExpertise.objects.filter(profile_id__any_of=profile_ids).values("profile_id").annotate(
        n=Count("pk"), last=Max("created")).order_by("profile_id").values_list("profile_id", "n", "last")


def recorded(build):
    calls = []

    def recording(ids):
        calls.append(list(ids) if isinstance(ids, list) else ids)
        return build(ids)

    return recording, calls


def test_the_rows_are_the_querysets_and_the_statement_is_compiled_once(profiles):
    build, calls = recorded(counted)
    pages = [[profiles[0].pk, profiles[1].pk], [profiles[1].pk, profiles[2].pk], [profiles[2].pk]]
    for ids in pages:
        with CaptureQueriesContext(connection) as queries:
            rows = rows_for("counted", ReviewerExpertise, build, ids)
        assert rows == list(counted(ids))
        assert len(queries) == 1
    assert [type(value) for value in rows_for("counted", ReviewerExpertise, build, [profiles[0].pk])[0]] == [
        int, int, type(profiles[0].expertise_set.first().created)]
    if connection.vendor == "postgresql":
        assert calls == [[statements.STAND_IN]]  # compiled once, with the stand-in, never per page
    else:
        assert calls == pages + [[profiles[0].pk]]  # SQLite writes one placeholder per id: every run builds


def test_no_ids_run_nothing(profiles):
    build, calls = recorded(counted)
    with CaptureQueriesContext(connection) as queries:
        assert rows_for("counted", ReviewerExpertise, build, []) == []
    assert len(queries) == 0 and calls == []


def test_a_statement_of_one_key_is_compiled_once_on_either_database(profiles):
    def keywords(profile_id):
        return ReviewerExpertise.objects.filter(profile_id=profile_id).order_by("expertise_keyword").values_list(
            "expertise_keyword")

    build, calls = recorded(keywords)
    for profile in profiles:
        assert rows_for("keywords", ReviewerExpertise, build, profile.pk) == list(keywords(profile.pk))
    assert calls == [statements.STAND_IN]  # one placeholder on SQLite too


def test_a_statement_without_the_ids_as_one_parameter_is_built_every_run(profiles):
    def listed(profile_ids):  # `__in` writes a placeholder per id: not one parameter
        return ReviewerExpertise.objects.filter(profile_id__in=profile_ids).order_by("pk").values_list("pk")

    build, calls = recorded(listed)
    for ids in ([profiles[0].pk], [profiles[0].pk, profiles[1].pk]):
        assert rows_for("listed", ReviewerExpertise, build, ids) == list(listed(ids))
    runs = [[profiles[0].pk], [profiles[0].pk, profiles[1].pk]]
    if connection.vendor == "postgresql":  # the stand-ins compiled once, found no parameter: never again
        assert calls == [[statements.STAND_IN], *runs]
        assert list(statements._compiled.values()) == [statements.NOT_KEPT]
    else:  # a placeholder per id: built each run without trying
        assert calls == runs and statements._compiled == {}


def test_a_statement_reading_more_than_its_key_is_caught(profiles, monkeypatch):
    """With VERIFY (on for the whole suite, tests/conftest.py), each run compiles afresh and must
    give the kept statement: a key that leaves out an input would hand one caller another's SQL."""
    monkeypatch.setattr(statements, "VERIFY", True)
    keyword = ["graphs"]

    def build(ids):
        return ReviewerExpertise.objects.filter(profile_id__any_of=ids, expertise_keyword=keyword[0]).values_list("pk")

    ids = [profiles[0].pk, profiles[1].pk]
    assert len(rows_for("keyword", ReviewerExpertise, build, ids)) == 1
    keyword[0] = "flows"
    if connection.vendor == "postgresql":
        with pytest.raises(AssertionError, match="key misses something it reads"):
            rows_for("keyword", ReviewerExpertise, build, ids)
    else:
        assert len(rows_for("keyword", ReviewerExpertise, build, ids)) == 2  # built each run: nothing kept


def test_a_page_of_proposals_gets_each_team_in_the_order_it_joined_from_one_statement():
    """attach_values (api.queries) through a kept statement: the proposals' teams by id, in the
    order their members joined, none for a proposal without one, one statement a page."""
    round_ = f.round_(f.call())
    ada, bo, cy = (f.user(name) for name in ("ada", "bo", "cy"))
    first = f.proposal(round_)
    first.team.add(cy)
    first.team.add(ada)
    empty, second = f.proposal(round_), f.proposal(round_, created_by=bo)
    for page in ([first, empty, second], [second, first]):
        for proposal in page:
            proposal.__dict__.pop("team_rows", None)
        with CaptureQueriesContext(connection) as queries:
            attach_teams(page)
        assert len(queries) == 1
        expected = {first.pk: [cy.uuid, ada.uuid], empty.pk: [], second.pk: [bo.uuid]}
        assert {p.pk: p.team_rows for p in page} == {p.pk: expected[p.pk] for p in page}


def test_several_inputs_are_bound_in_every_place_each_is_read(profiles):
    """A page's ids and a user's id read in two places: one statement for every page and user."""
    def mentioned(inputs):
        ids, profile_id = inputs
        return ReviewerExpertise.objects.filter(
            Q(profile_id__any_of=ids) | Q(profile_id=profile_id), ~Q(profile_id=profile_id) | Q(expertise_keyword="flows"),
        ).order_by("pk").values_list("profile_id", "expertise_keyword")

    build, calls = recorded(mentioned)
    ada, bo, cy = profiles
    for inputs in (([ada.pk], bo.pk), ([bo.pk, cy.pk], ada.pk), ([ada.pk], ada.pk)):
        assert rows_for("mentioned", ReviewerExpertise, build, inputs) == list(mentioned(inputs))
    expected_builds = 1 if connection.vendor == "postgresql" else 3  # SQLite: a placeholder per id
    assert len(calls) == expected_builds
    assert rows_for("mentioned", ReviewerExpertise, build, ([], bo.pk)) == [(bo.pk, "flows")]  # no ids: built


def test_an_input_that_reaches_the_sql_changed_is_built_every_run_or_caught(profiles, monkeypatch):
    """A text made into a pattern is no parameter of its own: built each run (its stand-in compiled
    only the first time). An input bound as it is in one place and changed in another would keep
    the changed stand-in: VERIFY catches it."""
    def containing(text):
        return ReviewerExpertise.objects.filter(expertise_keyword__icontains=text).order_by("pk").values_list("pk")

    build, calls = recorded(containing)
    for text in ("grap", "flo"):
        assert rows_for("containing", ReviewerExpertise, build, text) == list(containing(text))
    assert calls == [f"{statements.STAND_IN_TEXT}:0", "grap", "flo"]  # the stand-in compiled once only
    assert list(statements._compiled.values()) == [statements.NOT_KEPT]

    def near(profile_id):
        return ReviewerExpertise.objects.filter(profile_id=profile_id, profile_id__gte=profile_id - 1).values_list("pk")

    monkeypatch.setattr(statements, "VERIFY", True)
    with pytest.raises(AssertionError, match="an input reaches the SQL changed"):
        rows_for("near", ReviewerExpertise, near, profiles[0].pk)


@pytest.mark.parametrize("value", [True, 1.5, None, (1, 1.5), ([1], None)])
def test_only_lists_of_ids_ints_and_texts_are_bound(value):
    with pytest.raises(TypeError, match="binds lists of ids, ints and strs"):
        rows_for("odd", ReviewerExpertise, counted, value)
