"""Pair explanations and the shortfall diagnosis at 3,000 × 1,500 (issue 13).

    python -m bench.bench_explain [--proposals 3000] [--reviewers 1500] [--publications 20]

Pure library only, on bench.bench_affinity's texts and bench.instances' clustered calls:

* `compute_affinity`, which finds each pair's best publication with the scores (cached), against
  what explaining pairs on demand would cost at least: fitting the call's TF-IDF again (every text
  tokenised), however few pairs are asked;
* `matched_keywords` for a page of 300 pairs (what `explain_pairs` computes besides its 5 queries);
* `diagnose` on calls that cannot be covered (demand 3, load 1): every pair a candidate, and each
  proposal's best 50 (as a threshold leaves them).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from bench.bench_affinity import generate
from bench.instances import clustered
from referee.matching.affinity import compute_affinity, profile_text
from referee.matching.coverage import diagnose
from referee.matching.explanation import matched_keywords
from referee.matching.text import tokenize

PAGE = 300


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=3000)
    parser.add_argument("--reviewers", type=int, default=1500)
    parser.add_argument("--publications", type=int, default=20)
    args = parser.parse_args(argv)
    proposals, reviewers = generate(args.proposals, args.reviewers, args.publications, seed=0)
    rows = []
    _, computed = timed(compute_affinity, proposals, reviewers)
    rows.append(("compute_affinity, each pair's best publication included (cached with the scores)", computed))
    documents = [*proposals, *map(profile_text, reviewers), *(t for r in reviewers for t in r.publications)]
    vectorizer = TfidfVectorizer(analyzer=tokenize, sublinear_tf=True, smooth_idf=True, norm="l2")
    _, fit = timed(vectorizer.fit, documents)
    rows.append(("on demand instead: the call's TF-IDF fitted again, per request", fit))
    rng = np.random.default_rng(0)
    page = list(zip(rng.integers(0, args.proposals, PAGE).tolist(), rng.integers(0, args.reviewers, PAGE).tolist(),
                    strict=True))
    _, keywords = timed(matched_keywords, proposals, reviewers, page)
    rows.append((f"matched_keywords for {PAGE} pairs", keywords))
    for top_k in (None, 50):
        problem = clustered(args.proposals, args.reviewers, demand=3, max_load=1, top_k=top_k).problem
        found, seconds = timed(diagnose, problem.demand, problem.capacity, problem.proposal_idx,
                               problem.reviewer_idx, new_capacity=5)
        cut = found.capacity
        rows.append((f"diagnose, {'dense' if top_k is None else f'top-{top_k}'}, demand 3, load 1: "
                     f"{problem.n_pairs:,} pairs, deficiency "
                     f"{found.deficiency:,}, cut {len(cut.proposals) if cut else 0} proposals × "
                     f"{len(cut.reviewers) if cut else 0} reviewers, raise by {cut.raise_by if cut else 0}", seconds))
    print(f"{args.proposals} proposals × {args.reviewers} reviewers, {args.publications} publications each\n")
    print("| step | seconds |\n|---|---:|")
    for label, seconds in rows:
        print(f"| {label} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
