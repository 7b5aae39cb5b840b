"""A call whose texts overlap as little as real ones (issue 10): the generator behind the
calibration benchmark and the coverage tests.

Measured on a real call (463 paper abstracts × 58 researchers with 853 publications): reviewers
have 1–60 publications and no expertise keywords, and the median cosine between a proposal and
one publication is about 0.05. The generator reproduces those statistics with pseudo-words: a
Zipf-distributed general vocabulary (the words every abstract uses), a vocabulary per field and
one per topic inside a field. Each proposal is about one topic; each reviewer works on one or
two topics of one field, and a share of their publications strays to other topics. Publication
counts are drawn independently of expertise, so a reviewer's load should not depend on them.

    python -m bench.realistic_call [--proposals 463] [--reviewers 58] [--seed 0]

prints the statistics of one generated call.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np

from referee.matching.affinity import ReviewerText

FIELDS, TOPICS_PER_FIELD = 6, 5
GENERAL_WORDS, FIELD_WORDS, TOPIC_WORDS = 8_000, 400, 150


@dataclass
class RealisticCall:
    proposals: list[str]  # one text per proposal (its abstract)
    reviewers: list[ReviewerText]  # no biography, no keywords, 1–60 publications
    proposal_topic: np.ndarray  # int[P]
    reviewer_topics: list[frozenset[int]]  # the topics each reviewer works on

    def fits(self) -> np.ndarray:
        """P×R booleans: the reviewer works on the proposal's topic (the generator's truth)."""
        return np.array([[t in topics for topics in self.reviewer_topics] for t in self.proposal_topic])

    @property
    def publication_counts(self) -> np.ndarray:
        return np.array([len(r.publications) for r in self.reviewers])


class _Words:
    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        n = GENERAL_WORDS + FIELDS * FIELD_WORDS + FIELDS * TOPICS_PER_FIELD * TOPIC_WORDS
        # Words of 2–4 consonant–vowel syllables: no accidental stop word, digits or one-letter tokens.
        syllables = [c + v for c in "bcdfghjklmnpqrstvwxz" for v in "aeiouy"]
        picks, lengths = rng.integers(0, len(syllables), (2 * n, 4)), rng.integers(2, 5, 2 * n)
        words = {"".join(syllables[i] for i in row[:k]) for row, k in zip(picks.tolist(), lengths.tolist(), strict=True)}
        self.words = np.array(sorted(words))[rng.permutation(len(words))[:n]]
        zipf = 1.0 / np.arange(1, GENERAL_WORDS + 1) ** 1.05
        self.general_p = zipf / zipf.sum()

    def general(self, k: int) -> np.ndarray:
        return self.rng.choice(GENERAL_WORDS, k, p=self.general_p)

    def field(self, field: int, k: int) -> np.ndarray:
        return GENERAL_WORDS + field * FIELD_WORDS + self.rng.integers(0, FIELD_WORDS, k)

    def topic(self, topic: int, k: int) -> np.ndarray:
        start = GENERAL_WORDS + FIELDS * FIELD_WORDS + topic * TOPIC_WORDS
        # Within a topic some terms are far more frequent than others, as in real abstracts.
        return start + np.minimum(self.rng.geometric(1 / 30, k) - 1, TOPIC_WORDS - 1)

    def text(self, topic: int, length: int) -> str:
        n_topic, n_field = int(length * 0.14), int(length * 0.10)
        ids = np.concatenate([self.general(length - n_topic - n_field),
                              self.field(topic // TOPICS_PER_FIELD, n_field), self.topic(topic, n_topic)])
        return " ".join(self.words[self.rng.permutation(ids)])


def generate(n_proposals: int = 463, n_reviewers: int = 58, *, seed: int = 0,
             max_publications: int = 60) -> RealisticCall:
    rng = np.random.default_rng(seed)
    words = _Words(rng)
    n_topics = FIELDS * TOPICS_PER_FIELD
    popularity = 1.0 / np.arange(1, n_topics + 1) ** 0.6  # some topics draw far more proposals
    popularity = rng.permutation(popularity / popularity.sum())
    proposal_topic = rng.choice(n_topics, n_proposals, p=popularity)
    proposals = [words.text(int(t), int(rng.integers(120, 260))) for t in proposal_topic]

    reviewers, reviewer_topics = [], []
    for _ in range(n_reviewers):
        first = int(rng.choice(n_topics, p=popularity))
        field = first // TOPICS_PER_FIELD
        topics = {first}
        if rng.random() < 0.5:
            topics.add(field * TOPICS_PER_FIELD + int(rng.integers(TOPICS_PER_FIELD)))
        # Heavy-tailed counts between 1 and 60 (mean ≈ 15, as 853 / 58 on the real call).
        count = int(np.clip(np.round(rng.lognormal(2.3, 0.9)), 1, max_publications))
        own = sorted(topics)
        publications = [
            words.text(int(rng.choice(own)) if rng.random() < 0.8 else int(rng.integers(n_topics)),
                       int(rng.integers(100, 220)))
            for _ in range(count)
        ]
        reviewers.append(ReviewerText(biography="", keywords=[], publications=publications))
        reviewer_topics.append(frozenset(topics))
    return RealisticCall(proposals, reviewers, proposal_topic, reviewer_topics)


def publication_cosines(call: RealisticCall) -> np.ndarray:
    """Cosine of every (proposal, publication) pair, weighted as the affinity scoring weighs."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from referee.matching.text import tokenize

    publications = [text for r in call.reviewers for text in r.publications]
    vectorizer = TfidfVectorizer(analyzer=tokenize, sublinear_tf=True, smooth_idf=True, norm="l2")
    matrix = vectorizer.fit_transform([*call.proposals, *publications])
    n = len(call.proposals)
    return (matrix[:n] @ matrix[n:].T).toarray()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=463)
    parser.add_argument("--reviewers", type=int, default=58)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    call = generate(args.proposals, args.reviewers, seed=args.seed)
    counts = call.publication_counts
    cosines = publication_cosines(call)
    print(f"{len(call.proposals)} proposals, {len(call.reviewers)} reviewers, {counts.sum()} publications "
          f"({counts.min()}–{counts.max()} per reviewer, median {np.median(counts):.0f})")
    print(f"proposal–publication cosine: median {np.median(cosines):.3f}, "
          f"p90 {np.percentile(cosines, 90):.3f}, p99 {np.percentile(cosines, 99):.3f}")


if __name__ == "__main__":
    main()
