"""The three algorithms side by side on one call (issue 13): the same candidates, each solver's
figures as generation would report them, nothing written."""

import numpy as np
import pytest

from referee.assignments.candidates import INPUTS
from referee.assignments.comparison import READING, SOLVING, WITHOUT_RULES, compare_algorithms
from referee.assignments.generation import generate_assignments
from referee.assignments.models import AssignmentItem, GenerationPreview, ProposedAssignment
from referee.assignments.progress import Progress
from referee.calls.models import MatchingConfiguration
from tests import factories as f
from tests.engine.test_generation import build_call
from tests.web.console.test_assignments_diversity import RULES, with_rules

pytestmark = pytest.mark.django_db

# One reviewer each: the largest sum (0.9 + 0.15) leaves proposal 1 worst off at 0.15; fairflow
# gives up sum (0.2 + 0.5) to lift the worst-off to 0.2.
SCORES = [[0.9, 0.2], [0.5, 0.15]]


def test_each_algorithm_reports_what_its_generation_would_and_nothing_is_written():
    w = build_call(2, 2, SCORES, min_reviewers_per_proposal=1, max_proposals_per_reviewer=1)
    result = compare_algorithms(w.call)
    figures = {row["algorithm"]: row for row in result["algorithms"]}
    assert list(figures) == ["minmax", "fairflow", "hungarian"]
    assert not ProposedAssignment.objects.exists() and not AssignmentItem.objects.exists()
    for algorithm, row in figures.items():
        MatchingConfiguration.objects.filter(call=w.call).update(algorithm=algorithm)
        generated = generate_assignments(w.call, user=w.manager, dry_run=True)
        assert row["total_affinity"] == pytest.approx(generated.total_affinity)
        assert row["worst_off"] == pytest.approx(generated.min_proposal_affinity)
        assert (row["pairs"], row["short_proposals"]) == (2, 0)
    assert figures["minmax"]["total_affinity"] == pytest.approx(figures["hungarian"]["total_affinity"])
    assert (figures["minmax"]["worst_off"], figures["fairflow"]["worst_off"]) == (pytest.approx(0.15), pytest.approx(0.2))
    assert figures["minmax"]["total_affinity"] > figures["fairflow"]["total_affinity"]


class Recorded(Progress):
    def __init__(self):
        self.steps, self.checks, self.result = [], 0, None

    def step(self, stage):
        self.steps.append(stage)

    def check(self):
        self.checks += 1

    def finish(self, result):
        self.result = result


def test_the_fifth_percentile_is_of_the_proposal_totals_and_each_step_is_told():
    w = build_call(40, 10, seed=3, min_reviewers_per_proposal=2)
    progress = Recorded()
    result = compare_algorithms(w.call, reviewers_per_proposal=1, progress=progress)
    for row in result["algorithms"]:
        assert row["worst_off"] <= row["fifth_percentile"] and row["pairs"] == 40
        assert row["fifth_percentile"] <= np.median(w.scores.max(axis=1))
    assert progress.steps == [READING] + [SOLVING.format(algorithm=a) for a in ("minmax", "fairflow", "hungarian")]
    assert progress.checks > 0 and progress.result is result  # the solvers ask whether to stop
    assert (result["reviewers_per_proposal"], result["proposals"], result["reviewers"]) == (1, 40, 10)
    assert result["algorithm"] == "minmax" and set(result["fingerprint"]) == set(INPUTS)


def test_the_fingerprint_is_the_one_a_preview_of_the_same_inputs_keeps():
    w = build_call(3, 3, min_reviewers_per_proposal=1)
    result = compare_algorithms(w.call)
    generate_assignments(w.call, user=w.manager, dry_run=True)
    preview = GenerationPreview.objects.get(call=w.call)
    assert result["fingerprint"] == {name: preview.fingerprint[name] for name in INPUTS}


def test_without_rules_is_the_calls_algorithm_as_generation_solves_it_with_the_rules_off(world):
    """Under the rules the first proposal cannot take reviewers 0 and 1 (one institution): what
    that costs is the same algorithm's total without the rules minus its total under them."""
    world.entries = [world.entry, *(f.pool_entry(world.call, f.profile(f.user())) for _ in range(4))]
    world.proposals = [world.proposal, world.proposal2]
    w = with_rules(world)
    progress = Recorded()
    result = compare_algorithms(w.call, progress=progress)
    assert progress.steps[-1] == WITHOUT_RULES.format(algorithm="minmax")
    free, under = result["without_rules"], result["algorithms"][0]
    assert (free["algorithm"], under["algorithm"]) == ("minmax", "minmax")
    assert set(RULES) == {"max_reviewers_per_institution", "min_reviewers_from_other_countries"}  # both off:
    MatchingConfiguration.objects.filter(call=w.call).update(max_reviewers_per_institution=None,
                                                             min_reviewers_from_other_countries=0)
    generated = generate_assignments(w.call, user=w.manager, dry_run=True)
    assert free["total_affinity"] == pytest.approx(generated.total_affinity) == pytest.approx(3.4)
    assert under["total_affinity"] < free["total_affinity"]
    assert free["rules_cost"] == pytest.approx(free["total_affinity"] - under["total_affinity"])
    assert free["rules_cost_percent"] == pytest.approx(100 * free["rules_cost"] / free["total_affinity"], abs=0.01)


def test_a_call_without_rules_is_solved_three_times():
    w = build_call(3, 2, seed=1)
    progress = Recorded()
    assert compare_algorithms(w.call, progress=progress)["without_rules"] is None
    assert progress.steps == [READING] + [SOLVING.format(algorithm=a) for a in ("minmax", "fairflow", "hungarian")]
