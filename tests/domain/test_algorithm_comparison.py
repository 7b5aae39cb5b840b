"""The three algorithms side by side on one call (issue 13): the same candidates, each solver's
figures as generation would report them, nothing written."""

import numpy as np
import pytest

from referee.assignments.comparison import compare_algorithms
from referee.assignments.generation import generate_assignments
from referee.assignments.models import AssignmentItem, ProposedAssignment
from referee.calls.models import MatchingConfiguration
from tests.engine.test_generation import build_call

pytestmark = pytest.mark.django_db

# One reviewer each: the largest sum (0.9 + 0.15) leaves proposal 1 worst off at 0.15; fairflow
# gives up sum (0.2 + 0.5) to lift the worst-off to 0.2.
SCORES = [[0.9, 0.2], [0.5, 0.15]]


def test_each_algorithm_reports_what_its_generation_would_and_nothing_is_written():
    w = build_call(2, 2, SCORES, min_reviewers_per_proposal=1, max_proposals_per_reviewer=1)
    figures = {row.algorithm: row for row in compare_algorithms(w.call)}
    assert list(figures) == ["minmax", "fairflow", "hungarian"]
    assert not ProposedAssignment.objects.exists() and not AssignmentItem.objects.exists()
    for algorithm, row in figures.items():
        MatchingConfiguration.objects.filter(call=w.call).update(algorithm=algorithm)
        result = generate_assignments(w.call, user=w.manager, dry_run=True)
        assert row.total_affinity == pytest.approx(result.total_affinity)
        assert row.worst_off == pytest.approx(result.min_proposal_affinity)
        assert (row.pairs, row.short_proposals) == (2, 0)
    assert figures["minmax"].total_affinity == pytest.approx(figures["hungarian"].total_affinity)
    assert (figures["minmax"].worst_off, figures["fairflow"].worst_off) == (pytest.approx(0.15), pytest.approx(0.2))
    assert figures["minmax"].total_affinity > figures["fairflow"].total_affinity


def test_the_fifth_percentile_is_of_the_proposal_totals():
    w = build_call(40, 10, seed=3, min_reviewers_per_proposal=2)
    steps = []
    for row in compare_algorithms(w.call, reviewers_per_proposal=1, progress=lambda *step: steps.append(step)):
        assert row.worst_off <= row.fifth_percentile and row.pairs == 40
        assert row.fifth_percentile <= np.median(w.scores.max(axis=1))
    assert steps == [(1, 4), (2, 4), (3, 4), (4, 4)]
