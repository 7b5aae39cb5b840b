"""Calibration benchmark (issue 10): coverage by a default generation, load against publication
count, and how the calibrated scores rank each proposal's reviewers, on realistic calls.

    python -m bench.bench_calibration [--seeds 5] [--proposals 463] [--reviewers 58] [--capacity 30]

For each seed, `bench.realistic_call` generates a call with the real call's statistics and the
pure library scores it; eligibility and the solve follow generation (§5.2–§5.3) with the shipped
defaults of `MatchingConfiguration` (threshold, reviewers per proposal, lower loads, algorithm)
and every reviewer allowed `--capacity` proposals; a call has no teams, conflicts or bids.
Compared: the scoring before issue 10 (affinity = 0.4 keyword + 0.6 text, raw), the raw text
with every pair eligible (threshold 0, the only setting that covered the real call), the raw
text as a share of each proposal's best (no count correction), and the calibrated affinity.
Prints markdown tables (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from scipy.stats import kendalltau, pearsonr, rankdata, spearmanr, weightedtau

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referee.settings")

import django  # noqa: E402  (the shipped defaults are read from the model)

django.setup()

from bench.realistic_call import generate  # noqa: E402
from referee.calls.models import MatchingConfiguration  # noqa: E402
from referee.matching.affinity import compute_affinity  # noqa: E402
from referee.matching.calibration import share_of_best  # noqa: E402
from referee.matching.problem import Problem  # noqa: E402
from referee.matching.solvers import solve  # noqa: E402


def default(name: str):
    return MatchingConfiguration._meta.get_field(name).default


def _solve(affinity: np.ndarray, threshold: float, capacity: int):
    n_p, n_r = affinity.shape
    demand = default("min_reviewers_per_proposal")
    cap = np.full(n_r, capacity)  # the manager's choice (max_proposals_per_reviewer and each entry's limit)
    eligible = affinity >= threshold
    lower = np.where(eligible.any(axis=0), np.minimum(cap, default("min_proposals_per_reviewer")), 0)
    problem = Problem.from_dense(affinity, demand=np.full(n_p, demand), capacity=cap, lower=lower,
                                 eligible=eligible)
    return problem, solve(problem, default("algorithm"))


def _auc(scores: np.ndarray, fits: np.ndarray) -> float:
    """Mean over proposals of P(a reviewer who fits scores above one who does not)."""
    values = []
    for row, truth in zip(scores, fits, strict=True):
        n_fit = truth.sum()
        if 0 < n_fit < len(truth):
            ranks = rankdata(row)
            values.append((ranks[truth].sum() - n_fit * (n_fit + 1) / 2) / (n_fit * (len(truth) - n_fit)))
    return float(np.mean(values))


def _top_overlap(a: np.ndarray, b: np.ndarray, k: int) -> float:
    top_a = np.argsort(-a, axis=1, kind="stable")[:, :k]
    top_b = np.argsort(-b, axis=1, kind="stable")[:, :k]
    return float(np.mean([len(set(x) & set(y)) / k for x, y in zip(top_a, top_b, strict=True)]))


def measure(seed: int, n_proposals: int, n_reviewers: int, capacity: int) -> dict:
    call = generate(n_proposals, n_reviewers, seed=seed)
    result = compute_affinity(call.proposals, call.reviewers, method=default("affinity_method"),
                              keyword_weight=default("keyword_weight"), text_weight=default("text_weight"))
    counts, fits = call.publication_counts, call.fits()
    threshold = default("min_affinity_threshold")
    variants = {
        "before (0.4 keyword + 0.6 text), default threshold": (
            default("keyword_weight") * result.keyword + default("text_weight") * result.text, threshold),
        "raw text, threshold 0": (result.text, 0.0),
        "raw text as share of best, default threshold": (share_of_best(result.text), threshold),
        "calibrated, default threshold": (result.affinity, threshold),
    }
    rows = {}
    for name, (scores, cut) in variants.items():
        problem, solution = _solve(scores, cut, capacity)
        chosen = solution.edges
        rows[name] = {
            "eligible": problem.n_pairs, "filled": int(solution.assigned.sum()),
            "short": int((solution.assigned < problem.demand).sum()),
            "r_load": pearsonr(solution.load, counts)[0] if solution.load.std() else float("nan"),
            "rho_load": spearmanr(solution.load, counts)[0] if solution.load.std() else float("nan"),
            "fit_share": float(fits[problem.proposal_idx[chosen], problem.reviewer_idx[chosen]].mean()),
        }
    raw, calibrated = result.text, result.affinity
    taus = np.array([kendalltau(r, c)[0] for r, c in zip(raw, calibrated, strict=True)])
    rhos = np.array([spearmanr(r, c)[0] for r, c in zip(raw, calibrated, strict=True)])
    # Weighted τ counts swaps near the top more (hyperbolic weights by rank): the reviewers a
    # proposal could get, not the order of those with nothing in common with it.
    weighted = np.array([weightedtau(r, c)[0] for r, c in zip(raw, calibrated, strict=True)])
    agreement = {
        "kendall_median": float(np.median(taus)), "kendall_p5": float(np.percentile(taus, 5)),
        "spearman_median": float(np.median(rhos)), "weighted_median": float(np.median(weighted)),
        "top3": _top_overlap(raw, calibrated, 3), "top10": _top_overlap(raw, calibrated, 10),
        "auc_raw": _auc(raw, fits), "auc_calibrated": _auc(calibrated, fits),
        "exponent": result.count_exponent,
        "share_of_best_kendall": float(np.min([kendalltau(r, c)[0] for r, c in zip(raw, share_of_best(raw), strict=True)
                                               if np.ptp(r) > 0])),
    }
    return {"seed": seed, "publications": int(counts.sum()), "rows": rows, "agreement": agreement}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--proposals", type=int, default=463)
    parser.add_argument("--reviewers", type=int, default=58)
    parser.add_argument("--capacity", type=int, default=30)
    args = parser.parse_args(argv)
    runs = [measure(seed, args.proposals, args.reviewers, args.capacity) for seed in range(args.seeds)]
    print(f"{args.proposals} proposals × {args.reviewers} reviewers, capacity {args.capacity}, "
          f"{default('min_reviewers_per_proposal')} reviewers per proposal, threshold "
          f"{default('min_affinity_threshold')}, seeds 0–{args.seeds - 1}\n")
    print("| scores | seed | eligible pairs | filled slots | proposals short | r(load, publications) | "
          "Spearman | assigned pairs on the reviewer's topic |\n|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in runs[0]["rows"]:
        for run in runs:
            row = run["rows"][name]
            print(f"| {name} | {run['seed']} | {row['eligible']:,} | {row['filled']:,} | {row['short']} | "
                  f"{row['r_load']:+.2f} | {row['rho_load']:+.2f} | {row['fit_share']:.3f} |")
    print("\n| seed | publications | fitted b | Kendall τ per proposal: median (p5) | Spearman median | "
          "weighted τ median | top-3 kept | top-10 kept | AUC raw → calibrated | share of best alone: least τ |\n"
          "|---:|---:|---:|---|---:|---:|---:|---:|---|---:|")
    for run in runs:
        a = run["agreement"]
        print(f"| {run['seed']} | {run['publications']} | {a['exponent']:.3f} | {a['kendall_median']:.2f} "
              f"({a['kendall_p5']:.2f}) | {a['spearman_median']:.2f} | {a['weighted_median']:.2f} | "
              f"{a['top3']:.2f} | {a['top10']:.2f} | {a['auc_raw']:.3f} → {a['auc_calibrated']:.3f} | "
              f"{a['share_of_best_kendall']:.2f} |")


if __name__ == "__main__":
    main()
