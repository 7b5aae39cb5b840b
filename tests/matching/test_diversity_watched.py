"""minmax's min-cost flows carry only the cap groups likely to bind and add the ones an optimum
breaks (solvers.minmax.RESOLVES): here the first flow on every subset carries none, so the rules'
optimum must come from the groups added afterwards, against the independent MILP of
test_diversity."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referee.matching.randomized import cap_fraction, solve_fractional
from referee.matching.solvers import ALGORITHMS, minmax, network, solve

from .test_diversity import assert_reach_the_reference, geography, laminar_ruled_problems, reference
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
    assert fractional.expected_total_score == pytest.approx(best, rel=1e-7, abs=1e-7)
