"""A pair's explanation from the pure library (issue 13): the best publication `compute_affinity`
reports is the most similar one, and the matched keywords are exactly those the keyword score
counted."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from referee.matching.affinity import PROFICIENCY_WEIGHTS, ReviewerText, compute_affinity
from referee.matching.explanation import matched_keywords
from referee.matching.text import tokenize
from tests.matching.test_affinity import naive_cosines, reviewers_strategy, texts


@settings(max_examples=150, deadline=None)
@given(st.lists(texts, max_size=4), reviewers_strategy)
def test_best_publication_and_matched_keywords_agree_with_the_scores(proposals, reviewers):
    result = compute_affinity(proposals, reviewers)
    cosines = naive_cosines(proposals, reviewers)
    pairs = [(p, r) for p in range(len(proposals)) for r in range(len(reviewers))]
    for (p, r), matched in zip(pairs, matched_keywords(proposals, reviewers, pairs), strict=True):
        _, publication_cos, _, _ = cosines[p, r]
        best, similarity = result.best_publication[p, r], result.best_publication_cosine[p, r]
        if max(publication_cos, default=0.0) > 1e-12:
            assert np.isclose(publication_cos[best], max(publication_cos), atol=1e-9)
            assert np.isclose(similarity, max(publication_cos), atol=1e-9)
        else:
            assert (best, similarity) == (-1, 0.0)
        total = sum(PROFICIENCY_WEIGHTS[level] for kw, level in reviewers[r].keywords if tokenize(kw))
        weight = sum(PROFICIENCY_WEIGHTS[level] for _, level in matched)
        assert np.isclose(weight / total if total else 0.0, result.keyword[p, r])
        assert all(kw in reviewers[r].keywords for kw in matched)


def test_the_first_of_equally_similar_publications_and_keywords_in_the_reviewers_order():
    reviewer = ReviewerText("", [("reef", "basic"), ("volcano", "expert"), ("coral", "expert")],
                            ["volcano ash", "coral reef", "coral reef"])
    result = compute_affinity(["coral reef survey"], [reviewer])
    assert result.best_publication[0, 0] == 1
    assert matched_keywords(["coral reef survey"], [reviewer], [(0, 0)]) == [[("reef", "basic"), ("coral", "expert")]]
    assert matched_keywords(["x"], [reviewer], []) == []
