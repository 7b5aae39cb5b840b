"""The three algorithms side by side on one call (issue 13), so the manager can choose: the
candidates are built once, exactly as generation builds them (`considered_candidates`), and each
solver of `referee.matching.solvers` runs on that same problem. Nothing is written.

It is a read model, but three solves: the console runs it when asked, never on a page load. At
3,000 proposals × 1,500 reviewers it takes minutes (reading the candidates about 30 s, fairflow
and hungarian tens of seconds each), so there it belongs in a background job: `progress(done,
total)` is called after each step for one."""

import time
from dataclasses import dataclass

import numpy as np

from referee.assignments.generation import GenerationResult, considered_candidates, solve_candidates
from referee.calls.models import MatchingConfiguration
from referee.matching.solvers import ALGORITHMS


@dataclass(frozen=True)
class AlgorithmFigures:
    algorithm: str
    total_affinity: float
    worst_off: float | None  # the lowest proposal total (held + new affinity), over proposals wanting reviewers
    fifth_percentile: float | None  # of the same proposal totals
    pairs: int
    short_proposals: int
    seconds: float


def compare_algorithms(call, *, reviewers_per_proposal=None, progress=None) -> list[AlgorithmFigures]:
    steps = len(ALGORITHMS) + 1
    config = MatchingConfiguration.objects.get(call=call)
    candidates = considered_candidates(call, config, GenerationResult(), None, reviewers_per_proposal)
    if progress:
        progress(1, steps)
    problem = candidates.problem
    wanting = problem.demand > 0
    figures = []
    for algorithm in ALGORITHMS:
        started = time.perf_counter()
        solution = solve_candidates(candidates, algorithm)  # under the call's diversity rules, as generation
        totals = solution.proposal_score[wanting]
        figures.append(AlgorithmFigures(
            algorithm=algorithm, total_affinity=round(float(solution.total_affinity), 4),
            worst_off=round(float(totals.min()), 4) if totals.size else None,
            fifth_percentile=round(float(np.percentile(totals, 5)), 4) if totals.size else None,
            pairs=len(solution.edges), short_proposals=len(solution.shortfalls),
            seconds=round(time.perf_counter() - started, 3)))
        if progress:
            progress(len(figures) + 1, steps)
    return figures
