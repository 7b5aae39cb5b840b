"""Reviewer–proposal affinity scores (contract §5.1), for all pairs at once.

Inputs are plain texts (the caller concatenates a proposal's name, summary and description);
outputs are P×R float64 arrays in [0, 1], rows in proposal order, columns in reviewer order.

Decision (text blend): a reviewer's text score is 0.5 × cosine(proposal, profile) + 0.5 × the
best cosine(proposal, one publication); when either source has no tokens (empty profile, or no
publication with tokens) the other counts alone, so a missing source does not halve the score.
The idf is fitted over every text of the call, one document each (N = proposals + profiles +
publications, empty texts included).

`keyword` and `text` are these raw similarities; `affinity`, the score thresholds and the solver
use, is calibrated (`calibration`): corrected for publication counts, the configured sources
blended over those the reviewer has, as a share of the proposal's best reviewer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from .calibration import blend_present, correct_for_count, count_exponent, present, share_of_best
from .text import tokenize

PROFICIENCY_WEIGHTS = {"expert": 1.0, "familiar": 0.7, "basic": 0.4}
KEYWORD_REPEATS = {"expert": 3, "familiar": 2, "basic": 1}  # keyword copies in the profile text
PROFILE_WEIGHT = 0.5  # share of the profile cosine when a reviewer has both sources
METHODS = ("combined", "keyword", "tfidf")

# Dense cells materialised at once when taking each reviewer's best publication: the full
# proposals × publications product (3,000 × 30,000) would not fit in memory, a block of rows does.
_BLOCK_CELLS = 1 << 22


@dataclass(frozen=True)
class ReviewerText:
    biography: str
    keywords: Sequence[tuple[str, str]]  # (keyword, proficiency_level)
    publications: Sequence[str]  # one text per non-excluded publication (title + abstract)


Reviewers = Sequence[ReviewerText]


@dataclass
class AffinityResult:
    affinity: np.ndarray  # the configured method's calibrated score: 1 = the proposal's best reviewer
    keyword: np.ndarray  # raw keyword score (§5.1)
    text: np.ndarray  # raw text score (§5.1)
    # P×R: position in the reviewer's `publications` of the one most similar to the proposal (its
    # cosine is the text score's publication part), −1 when none shares a term with it.
    best_publication: np.ndarray = None
    best_publication_cosine: np.ndarray = None  # P×R its cosine (uncorrected, as in `text`)
    count_exponent: float = 0.0  # b of the publication-count correction fitted on this call


@dataclass
class _TextParts:
    """The text score's ingredients, kept apart so that calibration can correct one of them."""

    profile: np.ndarray  # P×R cosine with the profile text
    best_publication: np.ndarray  # P×R best cosine with one publication
    best_index: np.ndarray  # P×R position of that publication among the reviewer's, −1 if none
    has_profile: np.ndarray  # R booleans: the profile text has tokens
    publication_counts: np.ndarray  # R: publications with tokens

    def blend(self, best_publication: np.ndarray | None = None) -> np.ndarray:
        best = self.best_publication if best_publication is None else best_publication
        has_publications = self.publication_counts > 0
        profile_share = np.where(has_publications, np.where(self.has_profile, PROFILE_WEIGHT, 0.0), 1.0)
        return profile_share * self.profile + (1.0 - profile_share) * best


def keyword_affinity(proposal_texts: Sequence[str], reviewers: Reviewers) -> np.ndarray:
    """Matched keyword weight / total keyword weight per (proposal, reviewer)."""
    return _finish(_keyword_scores(proposal_texts, reviewers)[0])


def tfidf_affinity(proposal_texts: Sequence[str], reviewers: Reviewers) -> np.ndarray:
    """TF-IDF cosine of the proposal with the profile and the best publication, blended."""
    return _finish(_text_parts(proposal_texts, reviewers).blend())


def compute_affinity(
    proposal_texts: Sequence[str],
    reviewers: Reviewers,
    *,
    method: str = "combined",
    keyword_weight: float = 0.4,
    text_weight: float = 0.6,
) -> AffinityResult:
    """Both raw component scores, and the calibrated `affinity` by `method`.

    combined: each source as a share of the proposal's best, weighted over the sources present
    for the pair (the reviewer has keywords, or a profile or publication text, with tokens, and
    the source matches some reviewer of the proposal), then again as a share of the proposal's
    best. keyword / tfidf: that source alone, as a share of the proposal's best.
    """
    if method not in METHODS:
        raise ValueError(f"unknown affinity method {method!r}; expected one of {METHODS}")
    keyword, has_keywords = _keyword_scores(proposal_texts, reviewers)
    parts = _text_parts(proposal_texts, reviewers)
    exponent = count_exponent(parts.best_publication, parts.publication_counts)
    text = parts.blend(correct_for_count(parts.best_publication, parts.publication_counts, exponent))
    if method == "keyword":
        affinity = share_of_best(keyword)
    elif method == "tfidf":
        affinity = share_of_best(text)
    else:
        has_text = parts.has_profile | (parts.publication_counts > 0)
        affinity = share_of_best(blend_present([
            (keyword_weight, share_of_best(keyword), present(has_keywords, keyword)),
            (text_weight, share_of_best(text), present(has_text, text)),
        ]))
    return AffinityResult(affinity=_finish(affinity), keyword=_finish(keyword), text=_finish(parts.blend()),
                          best_publication=parts.best_index,
                          best_publication_cosine=_finish(parts.best_publication), count_exponent=exponent)


def profile_text(reviewer: ReviewerText) -> str:
    """Biography followed by each keyword repeated by proficiency."""
    repeated = (kw for kw, level in reviewer.keywords for _ in range(KEYWORD_REPEATS[_level(level)]))
    return "\n".join([reviewer.biography, *repeated])


def _level(level: str) -> str:
    if level not in PROFICIENCY_WEIGHTS:
        raise ValueError(f"unknown proficiency level {level!r}")
    return level


def _finish(scores: np.ndarray) -> np.ndarray:
    # Rounding absorbs float noise, so identical texts score exactly 1 and equal scores tie.
    return np.clip(np.round(scores, 12), 0.0, 1.0)


class KeywordGrams:
    """Keywords as token n-grams, and which of them occur in a text: the one matching rule of the
    keyword score, also used to list a pair's matched keywords (explanation.py).

    Keywords without tokens (e.g. "C", "2024") can never match and get no gram."""

    def __init__(self, keywords):
        self.gram_of: list[int | None] = []  # per keyword, its gram's index (None: no tokens)
        self.vocab: dict[tuple[str, ...], int] = {}
        for keyword in keywords:
            gram = tuple(tokenize(keyword))
            self.gram_of.append(self.vocab.setdefault(gram, len(self.vocab)) if gram else None)
        # Only positions holding some keyword's first token are worth slicing n-grams from.
        self._lengths_by_first: dict[str, set[int]] = {}
        for gram in self.vocab:
            self._lengths_by_first.setdefault(gram[0], set()).add(len(gram))

    def found(self, text: str) -> set[int]:
        """Indices of the grams that occur, as contiguous tokens, in `text`."""
        tokens = tokenize(text)
        found = {
            self.vocab.get(tuple(tokens[i : i + n]))
            for i, token in enumerate(tokens)
            for n in self._lengths_by_first.get(token, ())
        }
        found.discard(None)
        return found


def _keyword_scores(proposal_texts: Sequence[str], reviewers: Reviewers) -> tuple[np.ndarray, np.ndarray]:
    """(proposals × keyword n-grams incidence) @ (n-grams × reviewers weights) / total weights,
    and which reviewers have a keyword at all. Keywords without tokens are left out of the total."""
    pairs = [(r, keyword, PROFICIENCY_WEIGHTS[_level(level)])
             for r, reviewer in enumerate(reviewers) for keyword, level in reviewer.keywords]
    grams = KeywordGrams(keyword for _, keyword, _ in pairs)
    shape = (len(proposal_texts), len(reviewers))
    if not grams.vocab:
        return np.zeros(shape), np.zeros(len(reviewers), dtype=bool)
    kept = [(r, gram, weight) for (r, _, weight), gram in zip(pairs, grams.gram_of, strict=True) if gram is not None]
    rows, cols, weights = zip(*kept, strict=True)
    weight_matrix = sparse.csr_array((weights, (rows, cols)), shape=(len(reviewers), len(grams.vocab)))
    hit_rows, hit_cols = [], []
    for p, text in enumerate(proposal_texts):
        found = grams.found(text)
        hit_rows += [p] * len(found)
        hit_cols += found
    incidence = sparse.csr_array(
        (np.ones(len(hit_rows)), (hit_rows, hit_cols)), shape=(len(proposal_texts), len(grams.vocab))
    )
    matched = (incidence @ weight_matrix.T).toarray()
    total = weight_matrix.sum(axis=1)
    return np.divide(matched, total, out=np.zeros(shape), where=total > 0), total > 0


def _text_parts(proposal_texts: Sequence[str], reviewers: Reviewers) -> _TextParts:
    n_props, n_revs = len(proposal_texts), len(reviewers)
    publications = [text for reviewer in reviewers for text in reviewer.publications]
    owners = np.repeat(np.arange(n_revs), [len(r.publications) for r in reviewers])
    documents = [*proposal_texts, *map(profile_text, reviewers), *publications]

    # The §5.1 weighting: tf = 1 + ln(count), idf = ln((1 + N) / (1 + df)) + 1 > 0, rows
    # L2-normalised. Texts are tokenised one at a time inside the vectoriser: holding every
    # token list of a large call at once would cost hundreds of MiB of str objects.
    vectorizer = TfidfVectorizer(analyzer=tokenize, sublinear_tf=True, smooth_idf=True, norm="l2")
    try:
        matrix = vectorizer.fit_transform(documents).tocsr()
    except ValueError:  # "empty vocabulary": no text has a single token
        zeros = np.zeros((n_props, n_revs))
        return _TextParts(zeros, zeros, np.full((n_props, n_revs), -1), np.zeros(n_revs, dtype=bool),
                          np.zeros(n_revs, dtype=int))
    props = matrix[:n_props]
    profiles = matrix[n_props : n_props + n_revs]
    publication_vectors = matrix[n_props + n_revs :]
    profile_cos = (props @ profiles.T).toarray()
    publication_cos, best_index = _best_publications(props, publication_vectors, owners, n_revs)

    with_tokens = np.diff(publication_vectors.indptr) > 0
    return _TextParts(profile=profile_cos, best_publication=publication_cos, best_index=best_index,
                      has_profile=np.diff(profiles.indptr) > 0,
                      publication_counts=np.bincount(owners[with_tokens], minlength=n_revs))


def _best_publications(props, publications, owners: np.ndarray, n_revs: int) -> tuple[np.ndarray, np.ndarray]:
    """Max over each reviewer's publications of the cosine with each proposal (0 without any),
    and which of the reviewer's publications gives it (the first of equals; −1 when the max is 0)."""
    best = np.zeros((props.shape[0], n_revs))
    which = np.full((props.shape[0], n_revs), -1)
    if not len(owners):
        return best, which
    # Publications are listed reviewer by reviewer, so each reviewer owns one column segment.
    starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
    segment_owner = owners[starts]
    segment_of_column = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(owners)]))
    columns = np.arange(len(owners))
    publications_t = publications.T.tocsr()
    step = max(1, _BLOCK_CELLS // len(owners))
    for lo in range(0, props.shape[0], step):
        cosines = (props[lo : lo + step] @ publications_t).toarray()
        maxima = np.maximum.reduceat(cosines, starts, axis=1)
        at_max = np.where(cosines == maxima[:, segment_of_column], columns, len(owners))
        first = np.minimum.reduceat(at_max, starts, axis=1) - starts
        best[lo : lo + step, segment_owner] = maxima
        which[lo : lo + step, segment_owner] = np.where(maxima > 0, first, -1)
    return best, which
