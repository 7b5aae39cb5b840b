"""Calibrated affinity (issue 10, item 1): missing sources renormalised, a share of each
proposal's best reviewer, no advantage for publication counts, rankings kept."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import pearsonr

from bench.realistic_call import generate
from referee.matching.affinity import ReviewerText, compute_affinity, tfidf_affinity
from referee.matching.calibration import (
    MIN_REVIEWERS_FOR_COUNT_FIT,
    blend_present,
    correct_for_count,
    count_exponent,
    present,
    share_of_best,
)

PROPOSALS = ["Ocean circulation models under warming", "Protein folding with molecular dynamics",
             "Medieval Latin poetry"]


def reviewer(biography="", keywords=(), publications=()):
    return ReviewerText(biography, list(keywords), list(publications))


# --- missing sources -----------------------------------------------------------------------------


def test_a_reviewer_without_keywords_is_not_scored_as_if_none_matched():
    """Before issue 10 the missing keyword source counted as 0, capping this reviewer at 0.6."""
    only_text = reviewer(publications=["Ocean circulation models under warming"])
    with_keywords = reviewer(keywords=[("ocean circulation", "expert")], publications=["Ocean models"])
    result = compute_affinity(PROPOSALS[:1], [only_text, with_keywords])
    assert result.affinity[0, 0] == 1.0  # the text alone: the proposal's best match
    assert result.keyword[0, 0] == 0.0  # its raw keyword score is still 0


@pytest.mark.parametrize("missing", ["keywords", "publications", "biography"])
def test_the_sources_a_reviewer_has_are_weighted_among_themselves(missing):
    sources = {"keywords": [("protein folding", "expert")], "publications": ["Protein folding dynamics"],
               "biography": "Protein folding and molecular dynamics."}
    sources[missing] = "" if missing == "biography" else []
    partial = reviewer(**sources)
    complete = reviewer("Protein folding and molecular dynamics.", [("protein folding", "expert")],
                        ["Protein folding dynamics"])
    result = compute_affinity(PROPOSALS[1:2], [partial, complete])
    assert result.affinity[0, 0] > 0.8 * result.affinity[0, 1]  # not cut to its weight's share


def test_blend_present_divides_by_the_weights_of_present_sources_only():
    keyword, text = np.array([[1.0, 0.0, 0.5]]), np.array([[0.5, 1.0, 0.0]])
    has_keyword, has_text = np.array([[True, False, False]]), np.array([[True, True, False]])
    blended = blend_present([(0.4, keyword, has_keyword), (0.6, text, has_text)])
    np.testing.assert_allclose(blended, [[0.4 + 0.3, 1.0, 0.0]])


def test_keywords_that_match_nobody_for_a_proposal_do_not_count_against_their_owner():
    text = "Protein folding with molecular dynamics"
    with_keywords = reviewer(keywords=[("ocean circulation", "expert")], publications=[text])
    # The same profile text (keywords enter it three times), no keywords
    without = reviewer("ocean circulation " * 3, publications=[text])
    result = compute_affinity([text, "Ocean circulation models"], [with_keywords, without])
    np.testing.assert_array_equal(result.text[:, 0], result.text[:, 1])
    assert present(np.array([True, False]), result.keyword).tolist() == [[False, False], [True, False]]
    assert result.affinity[0].tolist() == [1.0, 1.0]  # before: 0.6 for the reviewer with keywords


# --- the scale ---------------------------------------------------------------------------------------


def test_the_best_reviewer_scores_one_whatever_the_vocabulary():
    """Verbose and terse texts give very different raw cosines, the same calibrated scale."""
    terse = (["ocean warming"], [reviewer(publications=["ocean warming"]), reviewer(publications=["ocean"])])
    def filler(prefix):  # words no other text has
        return " ".join(f"{prefix}{i}" for i in range(40))

    verbose = ([f"ocean warming {filler('a')}"], [reviewer(publications=[f"ocean warming {filler('b')}"]),
                                                  reviewer(publications=[f"ocean {filler('c')}"])])
    raw = [tfidf_affinity(*call)[0, 0] for call in (terse, verbose)]
    calibrated = [compute_affinity(*call).affinity[0].tolist() for call in (terse, verbose)]
    assert raw[0] == 1.0 and raw[1] < 0.5
    assert calibrated[0][0] == calibrated[1][0] == 1.0
    assert all(0 < scores[1] < 1 for scores in calibrated)


def test_share_of_best_keeps_zero_rows_and_every_proposals_order():
    scores = np.array([[0.2, 0.05, 0.1], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(share_of_best(scores), [[1.0, 0.25, 0.5], [0.0, 0.0, 0.0]])
    assert share_of_best(np.zeros((2, 0))).shape == (2, 0)


words = st.sampled_from(["ocean", "warming", "protein", "folding", "poetry", "latin", "models", "dynamics"])
texts = st.lists(words, max_size=6).map(" ".join)


@settings(max_examples=80, deadline=None)
@given(st.lists(texts, min_size=1, max_size=4),
       st.lists(st.builds(reviewer, texts, st.just([]), st.lists(texts, max_size=3)), min_size=1, max_size=5))
def test_text_only_scores_rank_reviewers_as_the_raw_text_does(proposals, reviewers):
    """With fewer reviewers than the count fit needs, the calibration only rescales each row."""
    result = compute_affinity(proposals, reviewers, method="tfidf")
    assert result.count_exponent == 0.0
    np.testing.assert_allclose(result.affinity, share_of_best(result.text), atol=1e-9)
    assert ((result.affinity >= 0) & (result.affinity <= 1)).all()
    for row in result.affinity:
        assert row.max() in (0.0, 1.0)


# --- publication counts ----------------------------------------------------------------------------


def test_count_exponent_recovers_a_power_law_and_needs_enough_reviewers():
    counts = np.array([1, 2, 3, 5, 8, 13, 21, 34, 55])
    rng = np.random.default_rng(0)
    best = rng.uniform(0.02, 0.1, (50, 1)) * counts**0.3  # every reviewer's column grows as n^0.3
    assert count_exponent(best, counts) == pytest.approx(0.3)
    few = MIN_REVIEWERS_FOR_COUNT_FIT - 1
    assert count_exponent(best[:, :few], counts[:few]) == 0.0
    assert count_exponent(best, np.full(len(counts), 7)) == 0.0  # one count: nothing to fit
    assert count_exponent(best[:, ::-1], counts) == 0.0  # falling with the count: clipped at 0
    corrected = correct_for_count(best, counts, 0.3)
    np.testing.assert_allclose(corrected / corrected[:, :1], np.ones_like(best), rtol=1e-9)


@pytest.fixture(scope="module")
def realistic():
    call = generate(150, 30, seed=1)
    return call, compute_affinity(call.proposals, call.reviewers)


def test_publication_count_no_longer_raises_a_reviewers_scores(realistic):
    call, result = realistic
    counts = call.publication_counts
    raw = share_of_best(result.text)
    assert pearsonr(raw.mean(axis=0), counts)[0] > 0.6  # the bias the calibration removes
    assert result.count_exponent > 0.05
    calibrated = pearsonr(result.affinity.mean(axis=0), counts)[0]
    assert -0.4 < calibrated < 0.15  # no advantage, and no strong penalty either


def test_reviewers_with_equal_publication_counts_keep_their_order(realistic):
    """The count correction is the same for equal counts, so for every proposal their order is
    the raw text's order; across counts it changes (the point), which bench measures."""
    call, result = realistic
    counts = call.publication_counts
    for count in np.unique(counts):
        same = np.flatnonzero(counts == count)
        if len(same) > 1:
            raw, calibrated = result.text[:, same], result.affinity[:, same]
            for i in range(len(same)):
                for j in range(len(same)):
                    # the raw text is rounded to 12 digits, so only clear differences count
                    clearly_above = raw[:, i] > raw[:, j] + 1e-9
                    assert (calibrated[clearly_above, i] >= calibrated[clearly_above, j]).all()


def test_calibrated_scores_find_the_reviewers_who_work_on_the_topic(realistic):
    """The generator knows who fits: calibrated scores separate them at least as well as raw."""
    call, result = realistic
    fits = call.fits()

    def top3_precision(scores):
        top = np.argsort(-scores, axis=1, kind="stable")[:, :3]
        return fits[np.arange(len(fits))[:, None], top].mean()

    assert top3_precision(result.affinity) >= top3_precision(result.text) - 0.02


def test_the_worked_example_of_docs_affinity_md():
    proposal = "Coupled ocean circulation models under climate warming: sea ice and heat transport"
    ana = reviewer(publications=["Ocean heat transport in coupled climate models",
                                 "Sea ice decline and ocean circulation"])
    ben = reviewer(keywords=[("ocean circulation", "expert"), ("glaciology", "familiar")],
                   publications=["Glacier mass balance from satellite gravimetry"])
    chen = reviewer("I study atmospheric convection and climate models.")
    dora = reviewer(publications=["Medieval Latin poetry and its manuscripts"])
    result = compute_affinity([proposal], [ana, ben, chen, dora])
    assert np.round(result.keyword[0], 3).tolist() == [0.0, 0.588, 0.0, 0.0]
    assert np.round(result.text[0], 3).tolist() == [0.742, 0.147, 0.208, 0.0]
    assert np.round(result.affinity[0], 3).tolist() == [1.0, 0.519, 0.28, 0.0]
    before = 0.4 * result.keyword[0] + 0.6 * result.text[0]
    assert np.round(before, 3).tolist() == [0.445, 0.324, 0.125, 0.0]
