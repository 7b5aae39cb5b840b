import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from referee.matching import affinity
from referee.matching.affinity import (
    KEYWORD_REPEATS,
    PROFICIENCY_WEIGHTS,
    ReviewerText,
    compute_affinity,
    keyword_affinity,
    tfidf_affinity,
)
from referee.matching.text import tokenize


def reviewer(biography="", keywords=(), publications=()):
    return ReviewerText(biography, list(keywords), list(publications))


# --- keyword -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proposal", "matches"),
    [
        ("Machine-Learning methods", True),  # punctuation and case do not matter
        ("learning machine", False),  # order matters
        ("machine for learning", True),  # "for" is a stop word, so the tokens are adjacent
        ("machine vision and deep learning", False),  # both tokens, not contiguous
        ("machinelearning", False),  # never a raw substring
    ],
)
def test_keyword_tokens_must_be_contiguous(proposal, matches):
    scores = keyword_affinity([proposal], [reviewer(keywords=[("machine learning", "expert")])])
    assert scores[0, 0] == (1.0 if matches else 0.0)


def test_keyword_is_not_a_substring():
    assert keyword_affinity(["We maintain bridges"], [reviewer(keywords=[("AI", "expert")])])[0, 0] == 0
    assert keyword_affinity(["Trustworthy AI."], [reviewer(keywords=[("ai", "expert")])])[0, 0] == 1


def test_keyword_score_is_matched_over_total_weight():
    keywords = [("graphs", "expert"), ("proteins", "familiar"), ("robots", "basic")]
    scores = keyword_affinity(["graphs of robots"], [reviewer(keywords=keywords)])
    assert scores[0, 0] == pytest.approx((1.0 + 0.4) / (1.0 + 0.7 + 0.4))


def test_keyword_score_without_keywords_is_zero():
    scores = keyword_affinity(["anything at all"], [reviewer("anything at all"), reviewer(keywords=[("C", "expert")])])
    assert scores.tolist() == [[0.0, 0.0]]  # "C" has no tokens, so it neither matches nor counts


def test_unknown_proficiency_is_rejected():
    with pytest.raises(ValueError, match="proficiency"):
        keyword_affinity(["x"], [reviewer(keywords=[("graphs", "guru")])])


# --- tf-idf ------------------------------------------------------------------------------------


def test_identical_texts_score_one_and_disjoint_texts_zero():
    text = "Quantum error correction for superconducting qubits"
    scores = tfidf_affinity([text, "Medieval Latin poetry"], [reviewer(text)])
    assert scores[0, 0] == 1.0
    assert scores[1, 0] == 0.0


def test_idf_is_positive_even_for_terms_in_every_document():
    # ln(N/df) would be 0 here and leave both vectors empty; ln((1+N)/(1+df))+1 is always > 0
    scores = tfidf_affinity(["graphs"], [reviewer("graphs"), reviewer(publications=["graphs"])])
    assert scores.tolist() == [[1.0, 1.0]]


def test_profile_and_best_publication_are_blended_half_and_half():
    text = "Quantum error correction"
    both = reviewer(text, publications=["Medieval Latin poetry", "Baroque music"])
    best_of_many = reviewer("Medieval Latin poetry", publications=["Baroque music", text])
    publications_only = reviewer(publications=["Baroque music", text])
    scores = tfidf_affinity([text], [both, best_of_many, publications_only, reviewer(text)])
    assert scores.tolist() == [[0.5, 0.5, 1.0, 1.0]]


def test_keywords_enter_the_profile_text_by_proficiency():
    assert tokenize(affinity.profile_text(reviewer("bio", [("deep nets", "expert"), ("graphs", "basic")]))) == [
        "bio", *["deep", "nets"] * 3, "graphs"
    ]
    assert KEYWORD_REPEATS == {"expert": 3, "familiar": 2, "basic": 1}
    assert PROFICIENCY_WEIGHTS == {"expert": 1.0, "familiar": 0.7, "basic": 0.4}


def test_empty_inputs_give_empty_or_zero_matrices():
    assert tfidf_affinity([], [reviewer("x")]).shape == (0, 1)
    assert keyword_affinity(["x"], []).shape == (1, 0)
    assert compute_affinity(["", "the of"], [reviewer(), reviewer(publications=[""])]).affinity.tolist() == [
        [0.0, 0.0],
        [0.0, 0.0],
    ]


def test_publication_blocks_do_not_change_results(monkeypatch):
    proposals = [f"topic{i} shared words topic{i + 1}" for i in range(7)]
    reviewers = [reviewer(f"topic{i}", publications=[f"topic{i} words", f"shared topic{i + 2}"]) for i in range(5)]
    whole = tfidf_affinity(proposals, reviewers)
    monkeypatch.setattr(affinity, "_BLOCK_CELLS", 1)  # one proposal row per block
    np.testing.assert_array_equal(tfidf_affinity(proposals, reviewers), whole)


# --- combined ------------------------------------------------------------------------------------


def test_compute_affinity_methods():
    """Issue 10 changed `affinity` from the weighted sum of the raw scores to a calibrated score:
    each source as a share of the proposal's best reviewer, blended, again as a share of the best."""
    proposals = ["graph neural networks for proteins", "medieval poetry"]
    reviewers = [reviewer("proteins and graphs", [("neural networks", "expert"), ("chemistry", "basic")]),
                 reviewer("graphs", [("chemistry", "expert")])]
    combined = compute_affinity(proposals, reviewers)
    keyword_share = combined.keyword[0] / combined.keyword[0].max()
    text_share = combined.text[0] / combined.text[0].max()
    blend = 0.4 * keyword_share + 0.6 * text_share
    np.testing.assert_allclose(combined.affinity[0], blend / blend.max(), atol=1e-12)
    assert combined.affinity[1].tolist() == [0.0, 0.0]  # nothing in common with anyone
    assert combined.keyword[0, 0] == pytest.approx(1 / 1.4)  # the raw scores stay those of §5.1
    custom = compute_affinity(proposals, reviewers, keyword_weight=0.5, text_weight=0.5)
    blend = (keyword_share + text_share) / 2
    np.testing.assert_allclose(custom.affinity[0], blend / blend.max(), atol=1e-12)
    keyword_only = compute_affinity(proposals, reviewers, method="keyword").affinity
    np.testing.assert_allclose(keyword_only[0], keyword_share, atol=1e-12)
    np.testing.assert_allclose(compute_affinity(proposals, reviewers, method="tfidf").affinity[0], text_share,
                               atol=1e-12)
    with pytest.raises(ValueError, match="method"):
        compute_affinity(proposals, reviewers, method="bm25")


def test_scores_are_deterministic_and_independent_of_reviewer_order():
    proposals = ["graph neural networks", "protein folding graphs", "poetry"]
    reviewers = [
        reviewer("graphs", [("neural networks", "familiar")], ["folding of proteins"]),
        reviewer("poetry and graphs", [("poetry", "expert")]),
        reviewer(publications=["neural graph folding"]),
    ]
    first = compute_affinity(proposals, reviewers)
    again = compute_affinity(proposals, reviewers[::-1])
    np.testing.assert_array_equal(first.affinity, again.affinity[:, ::-1])
    assert first.affinity.dtype == np.float64 and first.affinity.shape == (3, 3)


# --- vectorised == naive pair-by-pair reference ------------------------------------------------

WORDS = ["alpha", "Beta", "gamma", "délta", "delta", "the", "of", "42", "ai", "maintain", "x", "H2O", "AI"]
texts = st.lists(st.sampled_from(WORDS), max_size=10).map(" ".join)
keywords = st.tuples(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join), st.sampled_from(list(PROFICIENCY_WEIGHTS))
)
reviewers_strategy = st.lists(
    st.builds(ReviewerText, texts, st.lists(keywords, max_size=4), st.lists(texts, max_size=3)), max_size=4
)


def naive_keyword(proposal: str, rev: ReviewerText) -> float:
    tokens, matched, total = tokenize(proposal), 0.0, 0.0
    for keyword, level in rev.keywords:
        gram = tokenize(keyword)
        if gram:
            total += PROFICIENCY_WEIGHTS[level]
            if any(tokens[i : i + len(gram)] == gram for i in range(len(tokens))):
                matched += PROFICIENCY_WEIGHTS[level]
    return matched / total if total else 0.0


def naive_cosines(proposals, reviewers):
    """Per (proposal, reviewer): the cosine with the profile text and the list of cosines with each
    publication, by the §5.1 formulas written out term by term."""

    def profile(rev):
        repeated = [kw for kw, level in rev.keywords for _ in range(KEYWORD_REPEATS[level])]
        return tokenize(" ".join([rev.biography, *repeated]))

    proposal_docs = [tokenize(p) for p in proposals]
    profile_docs = [profile(r) for r in reviewers]
    publication_docs = [[tokenize(text) for text in r.publications] for r in reviewers]
    corpus = proposal_docs + profile_docs + [d for docs in publication_docs for d in docs]  # N = all texts
    n, df = len(corpus), Counter(term for doc in corpus for term in set(doc))

    def vector(doc):
        weights = {t: (1 + math.log(c)) * (math.log((1 + n) / (1 + df[t])) + 1) for t, c in Counter(doc).items()}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        return {t: w / norm for t, w in weights.items()} if norm else {}

    def cosine(a, b):
        va, vb = vector(a), vector(b)
        return sum(w * vb.get(t, 0.0) for t, w in va.items())

    return {(p, r): (cosine(doc, profile_docs[r]), [cosine(doc, pub) for pub in publication_docs[r]],
                     bool(profile_docs[r]), any(publication_docs[r]))
            for p, doc in enumerate(proposal_docs) for r in range(len(reviewers))}


def naive_tfidf(proposals, reviewers) -> np.ndarray:
    scores = np.zeros((len(proposals), len(reviewers)))
    for (p, r), (profile_cos, publication_cos, has_profile, has_publications) in naive_cosines(
            proposals, reviewers).items():
        if not has_publications:
            scores[p, r] = profile_cos
        else:
            best = max(publication_cos)
            scores[p, r] = 0.5 * profile_cos + 0.5 * best if has_profile else best
    return scores


@settings(max_examples=150, deadline=None)
@given(st.lists(texts, max_size=4), reviewers_strategy)
def test_vectorised_scores_equal_naive_reference(proposals, reviewers):
    result = compute_affinity(proposals, reviewers)
    expected_keyword = np.array([[naive_keyword(p, r) for r in reviewers] for p in proposals]).reshape(
        len(proposals), len(reviewers)
    )
    np.testing.assert_allclose(result.keyword, expected_keyword, atol=1e-9)
    np.testing.assert_allclose(result.text, naive_tfidf(proposals, reviewers), atol=1e-9)
    assert ((result.affinity >= 0) & (result.affinity <= 1)).all()
