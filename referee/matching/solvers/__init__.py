"""Assignment solvers (contract §5.4). ``solve(problem, algorithm)`` is the entry point.

All three solvers share the lexicographic objective of §5.3: (1) most filled slots, (2) largest
Σ_r min(load_r, lower_r), then (3) their own objective: ``minmax`` and ``hungarian`` the largest
Σ score (the same optimum by two methods), ``fairflow`` the best worst-off proposal, then the
largest Σ score under that floor. Infeasible instances get the best partial assignment, with
``shortfalls`` and ``unmet_lower`` saying what is missing. Identical input gives identical output.

Diversity ``rules`` (referee.matching.diversity) are hard constraints of every level; where the
pool cannot meet one, ``rule_shortfalls`` says which proposal, which rule and why.
"""

from __future__ import annotations

from collections.abc import Callable

from ..diversity import DiversityRules
from ..diversity_shortfalls import rule_shortfalls
from ..problem import Problem, Solution, make_solution
from .fairflow import solve_fairflow
from .hungarian import solve_hungarian
from .minmax import solve_minmax

ALGORITHMS = {"minmax": solve_minmax, "fairflow": solve_fairflow, "hungarian": solve_hungarian}

__all__ = ["ALGORITHMS", "solve"]


def solve(problem: Problem, algorithm: str = "minmax", *,
          progress: Callable[[int, int], None] | None = None,
          rules: DiversityRules | None = None) -> Solution:
    """Assign reviewers to proposals; ``progress(done, total)`` is called at each major step."""
    try:
        solver = ALGORITHMS[algorithm]
    except (KeyError, TypeError):
        raise ValueError(f"unknown algorithm {algorithm!r}; expected one of "
                         f"{', '.join(ALGORITHMS)}") from None
    problem.validate()
    if rules is not None:
        rules.validate(problem)
        rules = rules if rules.active else None
    edges = solver(problem, progress=progress, rules=rules)
    if progress:
        progress(1, 1)
    solution = make_solution(problem, edges, algorithm)
    if rules is not None:
        solution.rule_shortfalls = rule_shortfalls(problem, rules, solution.edges)
    return solution
