"""The three algorithms side by side on one call (issue 13), so the manager can choose: the
candidates are built once, exactly as generation builds them (`considered_candidates`), and each
solver of `referee.matching.solvers` runs on that same problem. Nothing but the job's result is
written.

Three solves: at 3,000 proposals × 1,500 reviewers they take minutes (reading the candidates
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
from referee.matching.solvers import ALGORITHMS

STEPS = len(ALGORITHMS) + 1  # reading the candidates, then one solve each
READING = "Reading the call's candidate pairs"
SOLVING = "Solving with {algorithm}"


def compare_algorithms(call, *, reviewers_per_proposal=None, progress: Progress = SILENT) -> dict:
    """Each algorithm's figures on the call's candidates, as the job's result: `algorithms` (one
    dict each: total_affinity, worst_off and fifth_percentile of the proposal totals, pairs,
    short_proposals, seconds), what it was asked, and the digests of its inputs."""
    progress.step(READING)
    config = MatchingConfiguration.objects.get(call=call)
    candidates = considered_candidates(call, config, GenerationResult(), None, reviewers_per_proposal)
    problem = candidates.problem
    wanting = problem.demand > 0
    figures = []
    for algorithm in ALGORITHMS:
        progress.step(SOLVING.format(algorithm=algorithm))
        started = time.perf_counter()
        # Under the call's diversity rules, as generation; each pricing round may stop a cancelled job.
        solution = solve_candidates(candidates, algorithm, progress=lambda done, total: progress.check())
        totals = solution.proposal_score[wanting]  # held + new affinity, over proposals wanting reviewers
        figures.append({
            "algorithm": algorithm, "total_affinity": round(float(solution.total_affinity), 4),
            "worst_off": round(float(totals.min()), 4) if totals.size else None,
            "fifth_percentile": round(float(np.percentile(totals, 5)), 4) if totals.size else None,
            "pairs": len(solution.edges), "short_proposals": len(solution.shortfalls),
            "seconds": round(time.perf_counter() - started, 3)})
    result = {"algorithms": figures, "reviewers_per_proposal": reviewers_per_proposal,
              "algorithm": config.algorithm, "proposals": problem.n_proposals, "reviewers": problem.n_reviewers,
              "fingerprint": {name: candidates.fingerprint[name] for name in INPUTS}}
    with transaction.atomic():  # a job's result and its completion are written together
        progress.finish(result)
    return result


def latest_comparison(call) -> MatchingJob | None:
    """The call's latest completed comparison: the table the tab shows."""
    return (MatchingJob.objects.filter(call=call, kind=MatchingJob.Kind.COMPARISON, state=MatchingJob.State.COMPLETED)
            .select_related("created_by").order_by("-completed_at", "-id").first())


def changed_inputs(comparison: MatchingJob, preview) -> list[str]:
    """What the preview's solve saw differently from the comparison's, in the words of a refused
    deployment (`previews.CHANGE_NAMES`); empty when they saw the same inputs."""
    seen = comparison.result.get("fingerprint", {})
    return [CHANGE_NAMES[name] for name in INPUTS if preview.fingerprint.get(name) != seen.get(name)]
