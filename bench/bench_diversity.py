"""Diversity rules benchmark (issue 14): the solvers with panel rules on the bench instances,
against the same solvers without rules.

    python -m bench.bench_diversity [--instance dense] [--runs 3] [--crossing small-scarce]

Reviewers get invented affiliations with a realistic skew: 300 institutions (Zipf, s = 1.1) in 30
countries (an institution's country is Zipf too, so a few countries hold most reviewers), four
career stages (doctoral 15 %, postdoc 30 %, established 40 %, senior 10 %, unknown 5 %), and each
proposal's applicants come from one country (a second one for a third of them), drawn with the
reviewers' country skew. Rule sets:

* ``institution``: at most 1 reviewer per institution;
* ``geographic``: at most 1 per institution, at most 2 per country, at least 1 from outside the
  applicants' countries (one laminar family: a flow);
* ``stages``: at least 1 established reviewer (a flow; seniors are too few for every proposal);
* ``crossing``: geographic and stages together (two families: the MILP), on a smaller instance.

For each it prints the median wall time and the mean processor time (runs round robin over the
rule sets, see ``measured``), the ratio to the same algorithm without rules, the total
score as a share of the rule-free optimum, how many proposals miss a rule (shortfalls in words:
one example), and whether every cap holds and every fully covered proposal meets its minimums
(checked here by counting, not by the solvers' group trees)."""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from referee.matching.diversity import DiversityRules
from referee.matching.solvers import solve

from .instances import CATALOGUE

TARGET_RATIO = 2.0  # the rules may cost at most twice minmax's time on `dense`
STAGES = ("doctoral", "postdoc", "established", "senior")


def affiliations(n_p: int, n_r: int, seed: int = 0) -> dict:
    """Invented institutions, countries, stages and applicant countries (see the docstring)."""
    rng = np.random.default_rng(seed)

    def zipf(n: int, size: int) -> np.ndarray:
        weights = 1.0 / np.arange(1, n + 1) ** 1.1
        return rng.choice(n, size, p=weights / weights.sum())

    institution_country = zipf(30, 300)
    institution = zipf(300, n_r)
    stage = rng.choice(np.arange(-1, 4), n_r, p=[0.05, 0.15, 0.30, 0.40, 0.10])
    applicants = np.zeros((n_p, 30), dtype=bool)
    applicants[np.arange(n_p), zipf(30, n_p)] = True
    second = rng.random(n_p) < 1 / 3
    applicants[np.flatnonzero(second), zipf(30, int(second.sum()))] = True
    return {"institution": institution, "country": institution_country[institution],
            "applicant_countries": applicants, "stage": stage, "stage_names": STAGES}


RULE_SETS = {
    "institution": {"max_per_institution": 1},
    "geographic": {"max_per_institution": 1, "max_per_country": 2, "min_foreign": 1},
    "stages": {"min_per_stage": np.array([0, 0, 1, 0])},
    "crossing": {"max_per_institution": 1, "max_per_country": 2, "min_foreign": 1,
                 "min_per_stage": np.array([0, 0, 1, 0])},
}


def honoured(problem, rules: DiversityRules, edges) -> bool:
    """Caps by counting (proposal, group) cells; minimums on fully covered proposals."""
    p, r = problem.proposal_idx[edges], problem.reviewer_idx[edges]
    for key, limit in ((rules.institution, rules.max_per_institution),
                       (rules.country, rules.max_per_country)):
        if limit is not None:
            known = key[r] >= 0
            _, counts = np.unique(np.c_[p[known], key[r][known]], axis=0, return_counts=True)
            if len(counts) and counts.max() > limit:
                return False
    full = np.bincount(p, minlength=problem.n_proposals) == problem.demand
    if rules.min_foreign:
        outside = np.bincount(p, weights=rules.outside(p, r), minlength=problem.n_proposals)
        known = rules.applicant_countries.any(axis=1)
        if np.any(full & known & (outside < np.minimum(rules.min_foreign, problem.demand))):
            return False
    if rules.min_per_stage is not None:
        for s in np.flatnonzero(rules.min_per_stage):
            got = np.bincount(p[rules.stage[r] == s], minlength=problem.n_proposals)
            enough = problem.demand >= rules.min_per_stage.sum()
            if np.any(full & enough & (got < rules.min_per_stage[s])):
                return False
    return True


def measured(problem, algorithm: str, configs: list, runs: int) -> dict:
    """{rule set: (median wall seconds, mean processor seconds, last solution)}. Runs go round
    robin over the rule sets (none, institution, ..., none, institution, ...): on a shared machine
    the load drifts over a run of several seconds, and the processor time, what the ratio is taken
    on, still rises with it (caches, page faults); round robin spreads the drift over every rule
    set alike. One rule-free solve first, not counted: a process's first solve pays for its
    memory, which would flatter the ratios."""
    wall, cpu, solution = {}, {}, {}
    solve(problem, algorithm)
    for _ in range(runs):
        for name, rules in configs:
            start, start_cpu = time.perf_counter(), time.process_time()
            solution[name] = solve(problem, algorithm, rules=rules)
            wall.setdefault(name, []).append(time.perf_counter() - start)
            cpu.setdefault(name, []).append(time.process_time() - start_cpu)
    return {name: (statistics.median(wall[name]), statistics.mean(cpu[name]), solution[name])
            for name, _ in configs}


def rows(instance: str, rule_sets: list[str], algorithms: list[str], runs: int):
    problem = CATALOGUE[instance]().problem
    data = affiliations(problem.n_proposals, problem.n_reviewers)
    configs = [("none", None)] + [(name, DiversityRules(**data, **RULE_SETS[name]))
                                  for name in rule_sets]
    for algorithm in algorithms:
        found = measured(problem, algorithm, configs, runs)
        free_seconds, free_cpu, free = found["none"]
        yield (instance, algorithm, "none", free_seconds, free_cpu, 1.0, 100.0, 0, "", "yes")
        for name, rules in configs[1:]:
            seconds, seconds_cpu, sol = found[name]
            short = sol.rule_shortfalls
            yield (instance, algorithm, name, seconds, seconds_cpu, seconds_cpu / free_cpu,
                   100 * sol.total_score / free.total_score, len({s.proposal for s in short}),
                   short[0].message if short else "",
                   "yes" if honoured(problem, rules, sol.edges) else "NO")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", default="dense")
    parser.add_argument("--algorithms", default="minmax,hungarian,fairflow")
    parser.add_argument("--crossing", default="small-scarce", help="instance for the crossing rules ('' to skip)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    print("| instance | algorithm | rules | wall (s, median) | CPU (s, mean) | × CPU without rules "
          "| total, % of rule-free | proposals short of a rule | e.g. | rules hold |")
    print("|---|---|---|---:|---:|---:|---:|---:|---|---|")
    algorithms = args.algorithms.split(",")
    found = list(rows(args.instance, ["institution", "geographic", "stages"], algorithms, args.runs))
    if args.crossing:
        found += list(rows(args.crossing, ["crossing"], ["minmax"], 1))
    for instance, algorithm, name, seconds, seconds_cpu, ratio, share, short, example, holds in found:
        print(f"| {instance} | {algorithm} | {name} | {seconds:.2f} | {seconds_cpu:.2f} | {ratio:.2f} | {share:.3f} "
              f"| {short} | {example} | {holds} |")
    print(f"\nTarget: ≤ {TARGET_RATIO:g}× minmax's time without rules on dense (CPU: the machine is shared).")


if __name__ == "__main__":
    main()
