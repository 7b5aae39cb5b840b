"""Affinity benchmark: keyword + TF-IDF scores for a large synthetic call.

    python -m bench.bench_affinity [--proposals 3000] [--reviewers 1500] [--publications 20] [--seed 0]

Texts are drawn from a seeded generator: a Zipf-distributed general vocabulary mixed with
topic vocabularies, so proposals and publications share many common terms (the product of
the TF-IDF matrices is dense, the realistic worst case). Prints a markdown table; `measure()`
returns its rows for bench/run.py.
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
import tracemalloc

import numpy as np

from referee.matching.affinity import ReviewerText, compute_affinity, keyword_affinity, tfidf_affinity

LEVELS = ("expert", "familiar", "basic")


class TextGenerator:
    def __init__(self, rng: np.random.Generator, vocabulary=20_000, topics=120, topic_words=250):
        self.rng = rng
        letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
        self.words = np.array(["".join(rng.choice(letters, rng.integers(3, 11))) for _ in range(vocabulary)])
        zipf = 1.0 / np.arange(1, vocabulary + 1)
        self.general = zipf / zipf.sum()
        self.topics = [rng.choice(vocabulary, topic_words, replace=False) for _ in range(topics)]

    def text(self, topic: int, length: int) -> str:
        n_topic = length // 2  # half topical terms, half general language
        general = self.rng.choice(len(self.words), length - n_topic, p=self.general)
        topical = self.rng.choice(self.topics[topic], n_topic)
        return " ".join(self.words[np.concatenate([general, topical])])

    def keyword(self, topic: int) -> str:
        return " ".join(self.words[self.rng.choice(self.topics[topic], self.rng.integers(1, 4))])


def generate(n_proposals: int, n_reviewers: int, n_publications: int, seed: int):
    rng = np.random.default_rng(seed)
    gen = TextGenerator(rng)
    n_topics = len(gen.topics)
    proposals = [gen.text(int(rng.integers(n_topics)), int(rng.integers(250, 600))) for _ in range(n_proposals)]
    reviewers = []
    for _ in range(n_reviewers):
        topic = int(rng.integers(n_topics))
        keywords = [(gen.keyword(topic), LEVELS[int(rng.integers(3))]) for _ in range(rng.integers(3, 11))]
        publications = [
            gen.text(topic if rng.random() < 0.7 else int(rng.integers(n_topics)), int(rng.integers(80, 250)))
            for _ in range(n_publications)
        ]
        reviewers.append(ReviewerText(gen.text(topic, int(rng.integers(40, 200))), keywords, publications))
    return proposals, reviewers


def _timed(fn, *, traced: bool):
    gc.collect()
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    if traced:
        tracemalloc.stop()
    return elapsed, peak


def measure(n_proposals=3000, n_reviewers=1500, n_publications=20, seed=0, trace=True) -> list[dict]:
    proposals, reviewers = generate(n_proposals, n_reviewers, n_publications, seed)
    runs = {
        "keyword_affinity": lambda: keyword_affinity(proposals, reviewers),
        "tfidf_affinity": lambda: tfidf_affinity(proposals, reviewers),
        "compute_affinity (combined)": lambda: compute_affinity(proposals, reviewers),
    }
    rows = []
    for name, fn in runs.items():
        seconds, _ = _timed(fn, traced=False)
        peak = _timed(fn, traced=True)[1] if trace else None
        rows.append({"step": name, "seconds": seconds, "peak_mib": peak and peak / 2**20})
    rows.append({"step": "process max RSS", "seconds": None,
                 "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=3000)
    parser.add_argument("--reviewers", type=int, default=1500)
    parser.add_argument("--publications", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc pass")
    args = parser.parse_args(argv)
    rows = measure(args.proposals, args.reviewers, args.publications, args.seed, trace=not args.no_trace)
    print(f"Affinity: {args.proposals} proposals × {args.reviewers} reviewers "
          f"({args.publications} publications each), seed {args.seed}\n")
    print("| step | time (s) | peak memory (MiB) |\n|---|---:|---:|")
    for row in rows:
        seconds = "" if row["seconds"] is None else f"{row['seconds']:.2f}"
        peak = "" if row["peak_mib"] is None else f"{row['peak_mib']:.0f}"
        print(f"| {row['step']} | {seconds} | {peak} |")


if __name__ == "__main__":
    main()
