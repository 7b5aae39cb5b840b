"""Why a reviewer fits a proposal, for the pairs a page shows (issue 13): the reviewer's keywords
found in the proposal's text, by the keyword score's own matching rule (`affinity.KeywordGrams`).

The other parts of a pair's explanation come with its scores: the keyword and text scores and the
best-matching publication are found once for every pair when the affinities are computed
(`affinity.compute_affinity`) and cached; recomputing the TF-IDF of a whole call to explain one
pair would take seconds (docs/decisions.md)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .affinity import KeywordGrams, ReviewerText


def matched_keywords(proposal_texts: Sequence[str], reviewers: Sequence[ReviewerText],
                     pairs: Iterable[tuple[int, int]]) -> list[list[tuple[str, str]]]:
    """For each (proposal index, reviewer index) of `pairs`, the reviewer's (keyword, proficiency)
    whose tokens occur contiguously in the proposal's text, in the reviewer's order. Each text is
    tokenised once however many pairs name it."""
    pairs = list(pairs)
    offsets, keywords = {}, []
    for j in sorted({j for _, j in pairs}):
        offsets[j] = len(keywords)
        keywords += reviewers[j].keywords
    grams = KeywordGrams(keyword for keyword, _ in keywords)
    found = {i: grams.found(proposal_texts[i]) for i in {i for i, _ in pairs}}
    matched = []
    for i, j in pairs:
        start = offsets[j]
        own = keywords[start:start + len(reviewers[j].keywords)]
        matched.append([kw for kw, gram in zip(own, grams.gram_of[start:start + len(own)], strict=True)
                        if gram is not None and gram in found[i]])
    return matched
