"""`InSubquery` (referee.api.queries), the visibility rules' `column IN (subquery)`, on both databases."""

import pytest
from django.db.models import Q

from referee.api.queries import InSubquery
from referee.assignments.models import AssignmentBatch
from referee.reviewers.models import CallReviewerPool
from tests import factories as f

pytestmark = pytest.mark.django_db


def entries(**conditions):
    return CallReviewerPool.objects.filter(**conditions).values("id")


def test_rows_whose_column_is_in_the_subquery(world):
    mine, other = f.batch(world.entry), f.batch(f.pool_entry(world.call, f.profile(f.user())))
    found = AssignmentBatch.objects.filter(InSubquery("reviewer_pool_entry_id", entries(id=world.entry.id)))
    assert list(found) == [mine] and other.pk != mine.pk


def test_a_subquery_that_can_match_nothing_matches_no_row_and_drops_out_of_an_or(world):
    """It once compiled to `= ANY(ARRAYNULL)`, a syntax error."""
    batch = f.batch(world.entry)
    never = InSubquery("reviewer_pool_entry_id", entries(id__in=[]))
    assert list(AssignmentBatch.objects.filter(never)) == []
    assert list(AssignmentBatch.objects.filter(Q(pk=batch.pk) | never)) == [batch]
