"""The shortfall diagnosis from the minimum cut (issue 13): constructed instances whose fix is
known, and a property test against SciPy's own max-flow: the findings add up to the deficiency,
each fix is the least that works, and applying the fixes covers the call."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.sparse.csgraph import maximum_flow

from referee.matching.coverage import diagnose, reviewers_to_invite
from referee.matching.problem import Problem
from referee.matching.solvers import solve


def flow_value(demand, capacity, pairs, new=()) -> int:
    """Max-flow by SciPy (an implementation independent of the one under test); `new` lists
    (proposals it is eligible for, capacity) of added reviewers."""
    n_p, n_r = len(demand), len(capacity) + len(new)
    source, sink = n_p + n_r, n_p + n_r + 1
    arcs = [(source, i, d) for i, d in enumerate(demand)]
    arcs += [(i, n_p + j, 1) for i, j in pairs]
    arcs += [(n_p + j, sink, c) for j, c in enumerate(capacity)]
    for k, (proposals, c) in enumerate(new):
        j = n_p + len(capacity) + k
        arcs += [(i, j, 1) for i in proposals] + [(j, sink, c)]
    tails, heads, caps = zip(*arcs, strict=True)
    graph = sparse.csr_array((np.array(caps, dtype=np.int32), (tails, heads)), shape=(sink + 1, sink + 1))
    return maximum_flow(graph, source, sink).flow_value


def run(demand, capacity, pairs, new_capacity=2):
    p, r = (np.array(x, dtype=np.int64) for x in zip(*pairs, strict=True)) if pairs else ([], [])
    return diagnose(demand, capacity, p, r, new_capacity=new_capacity)


def fixed(diagnosis, demand, capacity, pairs, new_capacity, *, raise_by=None, invite=None):
    """The instance after the diagnosis's fixes: the eligibility invitations always, and for the
    capacity part its raise (default) or its invitations."""
    capacity, new = list(capacity), []
    if diagnosis.too_few_eligible:
        new += [(diagnosis.too_few_eligible.proposals.tolist(), new_capacity)] * diagnosis.too_few_eligible.invite
    cut = diagnosis.capacity
    if cut and invite is None:
        for j in cut.reviewers:
            capacity[j] += cut.raise_by if raise_by is None else raise_by
    elif cut:
        new += [(cut.proposals.tolist(), new_capacity)] * invite
    return flow_value(demand, capacity, pairs, new)


def test_six_saturated_reviewers_raised_by_one():
    # 4 proposals want 3 reviewers each from the same 6 reviewers, who take 1 each: 12 wanted, 6 places.
    pairs = [(i, j) for i in range(4) for j in range(6)]
    diagnosis = run([3] * 4, [1] * 6, pairs, new_capacity=2)
    assert (diagnosis.demand, diagnosis.max_flow, diagnosis.deficiency) == (12, 6, 6)
    assert diagnosis.too_few_eligible is None
    cut = diagnosis.capacity
    assert (cut.proposals.tolist(), cut.reviewers.tolist(), cut.missing) == ([0, 1, 2, 3], list(range(6)), 6)
    assert (cut.raise_by, cut.invite) == (1, 3)
    assert fixed(diagnosis, [3] * 4, [1] * 6, pairs, 2) == 12
    assert fixed(diagnosis, [3] * 4, [1] * 6, pairs, 2, invite=3) == 12
    assert fixed(diagnosis, [3] * 4, [1] * 6, pairs, 2, invite=2) < 12


@pytest.mark.parametrize("algorithm", ["minmax", "fairflow", "hungarian"])
def test_the_solvers_cover_the_call_once_the_fix_is_applied(algorithm):
    scores = np.full((4, 6), 0.5)
    before = solve(Problem.from_dense(scores, demand=[3] * 4, capacity=[1] * 6), algorithm)
    cut = run([3] * 4, [1] * 6, [(i, j) for i in range(4) for j in range(6)]).capacity
    assert sum(s.required - s.assigned for s in before.shortfalls) == cut.missing
    raised = np.ones(6, dtype=np.int64)
    raised[cut.reviewers] += cut.raise_by
    after = solve(Problem.from_dense(scores, demand=[3] * 4, capacity=raised), algorithm)
    assert after.shortfalls == [] and after.assigned.tolist() == [3] * 4


def test_the_cut_names_only_the_short_group():
    # Proposals 0, 1 share reviewers 0, 1 (1 place each) and want 2 each; proposal 2 has its own two.
    pairs = [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3)]
    diagnosis = run([2, 2, 2], [1, 1, 5, 5], pairs)
    cut = diagnosis.capacity
    assert (cut.proposals.tolist(), cut.reviewers.tolist(), cut.missing, cut.raise_by) == ([0, 1], [0, 1], 2, 1)


def test_a_reviewer_without_places_is_on_the_cut():
    diagnosis = run([1], [0, 0], [(0, 0), (0, 1)])
    assert diagnosis.capacity.reviewers.tolist() == [0, 1] and diagnosis.capacity.raise_by == 1


def test_too_few_eligible_reviewers_need_invitations_whatever_the_capacities():
    # Proposal 0 has one eligible reviewer for 3 places, proposal 1 none for 2.
    diagnosis = run([3, 2, 1], [9, 9], [(0, 0), (2, 1)], new_capacity=1)
    short = diagnosis.too_few_eligible
    assert (short.proposals.tolist(), short.missing.tolist(), short.invite) == ([0, 1], [2, 2], 4)
    assert diagnosis.capacity is None and diagnosis.deficiency == 4
    assert reviewers_to_invite([2, 2], 2) == 2 and reviewers_to_invite([3, 1], 4) == 3
    assert reviewers_to_invite([0], 1) == 0


def test_covered_and_empty_calls_have_no_findings():
    assert run([1, 1], [1, 1], [(0, 0), (1, 1)]).deficiency == 0
    empty = run([], [], [])
    assert (empty.deficiency, empty.too_few_eligible, empty.capacity) == (0, None, None)
    with pytest.raises(ValueError, match="new_capacity"):
        run([1], [1], [(0, 0)], new_capacity=0)


@st.composite
def instances(draw):
    n_p, n_r = draw(st.integers(1, 6)), draw(st.integers(0, 6))
    demand = draw(st.lists(st.integers(0, 3), min_size=n_p, max_size=n_p))
    capacity = draw(st.lists(st.integers(0, 3), min_size=n_r, max_size=n_r))
    cells = [(i, j) for i in range(n_p) for j in range(n_r)]
    pairs = draw(st.lists(st.sampled_from(cells), unique=True)) if cells else []
    return demand, capacity, pairs, draw(st.integers(1, 3))


@settings(max_examples=300, deadline=None)
@given(instances())
def test_the_findings_add_up_and_their_fixes_are_the_least_that_cover(instance):
    demand, capacity, pairs, new_capacity = instance
    diagnosis = run(demand, capacity, pairs, new_capacity)
    assert diagnosis.max_flow == flow_value(demand, capacity, pairs)
    short, cut = diagnosis.too_few_eligible, diagnosis.capacity
    assert diagnosis.deficiency == (short.missing.sum() if short else 0) + (cut.missing if cut else 0)
    assert fixed(diagnosis, demand, capacity, pairs, new_capacity) == sum(demand)
    if cut:
        assert fixed(diagnosis, demand, capacity, pairs, new_capacity, invite=cut.invite) == sum(demand)
        # Least on the capacity part alone (each demand capped at the proposal's eligible reviewers):
        # the eligibility part's new reviewers may have places to spare for it too.
        degree = np.bincount([i for i, _ in pairs], minlength=len(demand))
        capped = np.minimum(demand, degree).tolist()
        alone = type(diagnosis)(sum(capped), diagnosis.max_flow, None, cut)
        for less in ({"raise_by": cut.raise_by - 1}, {"invite": cut.invite - 1}):
            assert fixed(alone, capped, capacity, pairs, new_capacity, **less) < sum(capped)
        # Hall: the cut's proposals need `missing` more than their reviewers give.
        in_a = set(cut.proposals.tolist())
        gives = sum(min(capacity[j], sum(1 for i, k in pairs if k == j and i in in_a)) for j in range(len(capacity)))
        assert sum(capped[i] for i in in_a) - gives == cut.missing
