"""minmax's min-cost flows carry only the cap groups likely to bind and add the ones an optimum
breaks (solvers.minmax.RESOLVES): here the first flow on every subset carries none, so the rules'
optimum must come from the groups added afterwards, against the independent MILP of
test_diversity. And a network leaves out a cap group that the caps below it keep within its own."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referee.matching.diversity import DiversityRules
from referee.matching.diversity_families import families
from referee.matching.problem import Problem
from referee.matching.randomized import cap_fraction, solve_fractional
from referee.matching.solvers import ALGORITHMS, minmax, network, solve

from .test_diversity import (
    assert_reach_the_reference,
    assert_the_lp_optimum,
    geography,
    laminar_ruled_problems,
    reference,
)
from .test_solvers import clustered, tiny_subsets  # noqa: F401  (a fixture)


@pytest.fixture(params=[minmax.RESOLVES, 1], ids=["groups added", "then every group"])
def nothing_watched(request, monkeypatch):
    """No cap group in the first flow on a subset; with 1, the second flow carries every group."""
    monkeypatch.setattr(network, "WATCH_MARGIN", -100)
    monkeypatch.setattr(minmax, "RESOLVES", request.param)


@settings(max_examples=60, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(laminar_ruled_problems(max_side=8))
@pytest.mark.usefixtures("nothing_watched", "tiny_subsets")
def test_groups_added_when_broken_reach_the_milp_optimum(case):
    assert_reach_the_reference(*case, ["minmax", "hungarian"])


@pytest.mark.parametrize("scarce,lower", [(0.0, 0), (0.6, 3)])
@pytest.mark.usefixtures("nothing_watched")
def test_clustered_calls_whose_rule_free_optimum_breaks_the_caps(scarce, lower):
    pr = clustered(40, 24, demand=3, capacity=6, lower=lower, scarce=scarce, seed=5)
    best = assert_reach_the_reference(pr, geography(40, 24, seed=5), ALGORITHMS)
    assert best < solve(pr, "minmax").total_score - 1e-6  # the first flow breaks some cap


@settings(max_examples=40, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(laminar_ruled_problems(), st.sampled_from([0.5, 1 / 3]))
@pytest.mark.usefixtures("nothing_watched")
def test_randomized_probabilities_with_groups_added_when_broken(case, q):
    pr, rules = case
    fractional = solve_fractional(pr, q, rules=rules)
    best = reference(pr, rules, cap=float(cap_fraction(q)))[2]
    assert_the_lp_optimum(fractional.expected_total_score, best)


def test_a_country_its_institutions_keep_within_its_cap_gets_no_group_node():
    # One proposal wanting 3; country 0 holds institution 0 (4 reviewers) and institution 1 (1),
    # country 1 institution 2 (2). At most 1 per institution keeps country 0 to 2 reviewers: its
    # cap of 2 cannot bind although it has 5 candidates; country 1's 2 candidates cannot exceed 2.
    score = np.array([[0.9, 0.85, 0.8, 0.75, 0.5, 0.4, 0.3]])
    pr = Problem.from_dense(score, demand=[3], capacity=[1] * 7)
    institution = np.array([0, 0, 0, 0, 1, 2, 2])
    rules = DiversityRules(institution=institution, country=np.array([0, 0, 0, 0, 0, 1, 1]),
                           max_per_institution=1, max_per_country=2)
    (family,) = families(pr, rules, pr.proposal_idx, pr.reviewer_idx, base=10)
    keep, _ = family.network_arcs(np.arange(pr.n_pairs), 1)
    kept_depths = sorted(family.depth[np.isin(family.head - family.base, np.flatnonzero(keep))])
    assert kept_depths == [5, 5]  # institutions 0 and 2; no country group
    best = assert_reach_the_reference(pr, rules, ["minmax", "hungarian"])
    assert best == pytest.approx(0.9 + 0.5 + 0.4)
    assert sorted(institution[solve(pr, "minmax", rules=rules).edges]) == [0, 1, 2]
