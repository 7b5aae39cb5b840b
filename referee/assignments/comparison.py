"""The three algorithms side by side on one call (issue 13), so the manager can choose: the
candidates are built once, exactly as generation builds them (`considered_candidates`), and each
solver of `referee.matching.solvers` runs on that same problem. Nothing but the job's result is
written.

Three solves (four when the call has diversity rules: its own algorithm again without them, so
that the manager sees what the rules cost in total affinity): at 3,000 proposals × 1,500 reviewers they take minutes (reading the candidates
about 30 s, fairflow and hungarian tens of seconds each), so the console runs them as a matching
job of kind `comparison` (`matching_jobs.start_comparison_job`), whose `Progress` counts the
steps and stops the work when the job is cancelled. The result keeps the digests of the inputs
(`candidates.fingerprint`), so the tab can tell whether the call's preview saw the same ones."""

import time

import numpy as np
from django.db import transaction

from referee.assignments.candidates import INPUTS
from referee.assignments.generation import GenerationResult, considered_candidates, solve_candidates
from referee.assignments.models import MatchingJob
from referee.assignments.previews import CHANGE_NAMES
from referee.assignments.progress import SILENT, Progress
from referee.calls.models import MatchingConfiguration
from referee.matching.solvers import ALGORITHMS, solve

# Reading the candidates, one solve each, then the call's algorithm without its diversity rules
# (skipped when it has none: the job's last step is then never told, and its completion counts it).
STEPS = len(ALGORITHMS) + 2
READING = "Reading the call's candidate pairs"
SOLVING = "Solving with {algorithm}"
WITHOUT_RULES = "Solving with {algorithm} without the diversity rules"


def compare_algorithms(call, *, reviewers_per_proposal=None, progress: Progress = SILENT) -> dict:
    """Each algorithm's figures on the call's candidates, as the job's result: `algorithms` (one
    dict each: total_affinity, worst_off and fifth_percentile of the proposal totals, pairs,
    short_proposals, seconds), `without_rules` (the call's algorithm solved without its diversity
    rules, with what the rules cost in total affinity; None when the call has no rules), what it
    was asked, and the digests of its inputs."""
    progress.step(READING)
    config = MatchingConfiguration.objects.get(call=call)
    candidates = considered_candidates(call, config, GenerationResult(), None, reviewers_per_proposal)
    wanting = candidates.problem.demand > 0

    def check(done, total):  # each pricing round of a solve may stop a cancelled job
        progress.check()

    figures = []
    for algorithm in ALGORITHMS:
        progress.step(SOLVING.format(algorithm=algorithm))
        started = time.perf_counter()
        figures.append(_figures(algorithm, solve_candidates(candidates, algorithm, progress=check), wanting, started))
    without_rules = None
    if candidates.rules is not None and candidates.rules.active:
        progress.step(WITHOUT_RULES.format(algorithm=config.algorithm))
        started = time.perf_counter()
        free = _figures(config.algorithm, solve(candidates.problem, config.algorithm, progress=check), wanting, started)
        under = next(row for row in figures if row["algorithm"] == config.algorithm)
        cost = free["total_affinity"] - under["total_affinity"]
        without_rules = {**free, "rules_cost": round(cost, 4),
                         "rules_cost_percent": round(100 * cost / free["total_affinity"], 2) if free["total_affinity"] else 0.0}
    result = {"algorithms": figures, "without_rules": without_rules, "reviewers_per_proposal": reviewers_per_proposal,
              "algorithm": config.algorithm, "proposals": candidates.problem.n_proposals,
              "reviewers": candidates.problem.n_reviewers,
              "fingerprint": {name: candidates.fingerprint[name] for name in INPUTS}}
    with transaction.atomic():  # a job's result and its completion are written together
        progress.finish(result)
    return result


def _figures(algorithm: str, solution, wanting, started: float) -> dict:
    """A solve's row of the comparison; the proposal totals are held + new affinity, over the
    proposals wanting reviewers."""
    totals = solution.proposal_score[wanting]
    return {"algorithm": algorithm, "total_affinity": round(float(solution.total_affinity), 4),
            "worst_off": round(float(totals.min()), 4) if totals.size else None,
            "fifth_percentile": round(float(np.percentile(totals, 5)), 4) if totals.size else None,
            "pairs": len(solution.edges), "short_proposals": len(solution.shortfalls),
            "seconds": round(time.perf_counter() - started, 3)}


def latest_comparison(call) -> MatchingJob | None:
    """The call's latest completed comparison: the table the tab shows."""
    return (MatchingJob.objects.filter(call=call, kind=MatchingJob.Kind.COMPARISON, state=MatchingJob.State.COMPLETED)
            .select_related("created_by").order_by("-completed_at", "-id").first())


def changed_inputs(comparison: MatchingJob, preview) -> list[str]:
    """What the preview's solve saw differently from the comparison's, in the words of a refused
    deployment (`previews.CHANGE_NAMES`); empty when they saw the same inputs."""
    seen = comparison.result.get("fingerprint", {})
    return [CHANGE_NAMES[name] for name in INPUTS if preview.fingerprint.get(name) != seen.get(name)]
