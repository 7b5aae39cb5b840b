"""`field__any_of=[...]` (referee.core.lookups) and `attach_rows` (referee.api.queries), on both
databases: a page's ids as one array parameter, and a page's related rows in one query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referee.api.queries import attach_rows
from referee.calls.models import Proposal
from referee.reviewers.models import CallReviewerPool, ReviewerExpertise
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_rows_are_those_of_in(world):
    other = f.proposal(f.round_(world.other_call), created_by=world.applicant)
    wanted = [world.proposal.pk, other.pk, 10**9]  # an id no row has
    for lookup in ("pk", "id", "call_id", "call", "uuid"):
        values = {"uuid": [world.proposal.uuid, other.uuid]}.get(lookup) or (
            [world.call.pk, 10**9] if lookup.startswith("call") else wanted)
        expected = set(Proposal.objects.filter(**{f"{lookup}__in": values}))
        assert set(Proposal.objects.filter(**{f"{lookup}__any_of": values})) == expected != set(), lookup


def test_values_that_are_not_ints_are_converted_as_in_converts_them(world):
    """Ints reach an integer key as they are; any other value, even one among ints, is converted
    by the field (a digit string, a float)."""
    key = world.proposal.pk
    for values in ([str(key)], [key, str(10**9)], [float(key)]):
        assert list(Proposal.objects.filter(pk__any_of=values)) == [world.proposal], values
    with pytest.raises(ValueError, match="expected a number"):
        list(Proposal.objects.filter(pk__any_of=[key, "not a number"]))


def test_an_empty_list_matches_nothing_and_runs_no_query(world):
    with CaptureQueriesContext(connection) as queries:
        assert list(Proposal.objects.filter(pk__any_of=[])) == []
    assert len(queries) == 0
    assert list(Proposal.objects.filter(pk__any_of=[]) | Proposal.objects.filter(pk=world.proposal.pk)) == [
        world.proposal]


def test_postgresql_reads_the_values_as_one_array_parameter():
    sql, params = Proposal.objects.filter(pk__any_of=[3, 1, 2]).order_by().query.sql_with_params()
    if connection.vendor == "postgresql":
        assert sql.endswith('WHERE "calls_proposal"."id" = ANY(%s::bigint[])') and params == ([3, 1, 2],)
    else:
        assert sql.endswith('WHERE "calls_proposal"."id" IN (%s, %s, %s)') and params == (3, 1, 2)


def test_any_number_of_values_is_one_prepared_statement(world):
    """With `__in`, each length of a page was a statement of its own, planned afresh each time."""
    if connection.vendor != "postgresql":
        return
    for length in range(1, 8):
        list(Proposal.objects.filter(pk__any_of=list(range(length)), name="any-of probe").order_by())
    with connection.cursor() as cursor:
        cursor.execute("SELECT generic_plans FROM pg_prepared_statements WHERE statement LIKE %s",
                       ['%FROM "calls_proposal" WHERE ("calls_proposal"."name" = $1 AND "calls_proposal"."id" = ANY($2::bigint[]))'])
        (generic,), = cursor.fetchall()  # one statement for the seven lengths
    assert generic >= 1  # after five custom plans PostgreSQL keeps a generic one


def test_attached_rows_keep_their_order_in_one_query(world):
    empty = f.profile(f.user())
    for keyword in ("zoology", "astronomy", "mycology"):
        ReviewerExpertise.objects.create(profile=world.profile, expertise_keyword=keyword)
    profiles = [world.profile, empty]
    with CaptureQueriesContext(connection) as queries:
        attach_rows(profiles, "keywords", ReviewerExpertise.objects.all(), "profile_id",
                    lambda row: row.expertise_keyword)
    assert len(queries) == 1
    assert world.profile.keywords == ["astronomy", "mycology", "zoology"]  # the model's order
    assert empty.keywords == []
    with CaptureQueriesContext(connection) as queries:
        attach_rows(profiles, "keywords", ReviewerExpertise.objects.all(), "profile_id")
    assert len(queries) == 0  # attached already


def test_rows_may_be_named_values(world):
    second = f.pool_entry(world.other_call, world.profile)
    rows = CallReviewerPool.objects.order_by("pk").values_list("reviewer_id", "call_id", named=True)
    attach_rows([world.profile], "calls", rows, "reviewer_id", lambda row: row.call_id)
    assert world.profile.calls == [world.call.pk, second.call_id]
