"""Why a reviewer was proposed for a proposal (issue 13): for any set of (proposal, reviewer
profile) pairs, the parts of their cached affinity, the reviewer's keywords found in the proposal,
their most similar publication and their bid, with one sentence saying it in plain words.

Read in a fixed number of queries however many pairs are asked: the cache rows of the pairs, the
proposals' texts, the reviewers' keywords, the publications named and the bids. The best
publication and its cosine were found for every pair when the affinities were computed
(`affinities`); the matched keywords are found here for the asked pairs only (cheap: their texts
are tokenised once each)."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import reduce
from operator import or_

from django.db.models import Q

from referee.assignments.affinities import proposal_text
from referee.assignments.models import AffinityScore
from referee.calls.models import Proposal
from referee.matching.affinity import ReviewerText
from referee.matching.explanation import matched_keywords
from referee.reviewers.models import ReviewerBid, ReviewerExpertise, ReviewerPublication

SHOWN_KEYWORDS = 3  # named in the summary; the list has them all


@dataclass
class PairExplanation:
    affinity: float | None  # calibrated, as compared with min_affinity_threshold
    keyword_score: float | None  # raw §5.1 parts
    text_score: float | None
    matched_keywords: list  # [(keyword, proficiency)] of the reviewer found in the proposal
    keywords: int  # how many keywords the reviewer lists
    best_publication: dict | None  # {"title", "year", "similarity"}
    bid: str | None
    summary: str

    def as_dict(self) -> dict:
        data = asdict(self)
        data["matched_keywords"] = [{"keyword": k, "proficiency": level} for k, level in self.matched_keywords]
        return data


def explain_pairs(call, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], PairExplanation]:
    """(proposal id, reviewer profile id) → its explanation, for each pair asked. A pair without a
    cached score (not computed yet, or not in the call) has no affinity and no publication."""
    pairs = list(dict.fromkeys(pairs))
    if not pairs:
        return {}
    proposal_ids = sorted({p for p, _ in pairs})
    profile_ids = sorted({r for _, r in pairs})
    reviewers_of = defaultdict(list)
    for p, r in pairs:
        reviewers_of[p].append(r)
    # One branch per proposal (a page lists a proposal's reviewers together), each an index range.
    scores = {
        (row[0], row[1]): row[2:] for row in AffinityScore.objects.filter(
            reduce(or_, (Q(proposal_id=p, reviewer_id__in=rs) for p, rs in reviewers_of.items())), call=call,
        ).values_list("proposal_id", "reviewer_id", "affinity_score", "keyword_score", "text_score",
                      "best_publication_pk", "best_publication_similarity")
    }
    texts = {pid: proposal_text(*rest) for pid, *rest in Proposal.objects.filter(call=call, id__in=proposal_ids)
             .values_list("id", "name", "project_summary", "description")}
    keywords = {r: [] for r in profile_ids}
    for profile_id, keyword, level in ReviewerExpertise.objects.filter(profile_id__in=profile_ids).order_by(
            "id").values_list("profile_id", "expertise_keyword", "proficiency_level"):
        keywords[profile_id].append((keyword, level))
    publications = {pid: (title, year) for pid, title, year in ReviewerPublication.objects.filter(
        id__in={row[3] for row in scores.values() if row[3]}).values_list("id", "title", "publication_year")}
    bids = dict(((p, r), bid) for p, r, bid in ReviewerBid.objects.filter(
        proposal_id__in=proposal_ids, reviewer_id__in=profile_ids).values_list("proposal_id", "reviewer_id", "bid"))

    known = [(p, r) for p, r in pairs if p in texts]
    column = {r: j for j, r in enumerate(profile_ids)}
    row = {p: i for i, p in enumerate(proposal_ids)}
    matched = dict(zip(known, matched_keywords(
        [texts.get(p, "") for p in proposal_ids],
        [ReviewerText(biography="", keywords=keywords[r], publications=()) for r in profile_ids],
        [(row[p], column[r]) for p, r in known]), strict=True))

    explained = {}
    for pair in pairs:
        affinity, keyword, text, publication_pk, similarity = scores.get(pair, (None,) * 5)
        title_year = publications.get(publication_pk)
        best = None if title_year is None else {
            "title": title_year[0], "year": title_year[1], "similarity": round(similarity, 4)}
        explained[pair] = _explanation(
            affinity, keyword, text, matched.get(pair, []), len(keywords[pair[1]]), best, bids.get(pair))
    return explained


def _explanation(affinity, keyword, text, matched, n_keywords, best, bid) -> PairExplanation:
    rounded = [None if x is None else round(x, 4) for x in (affinity, keyword, text)]
    return PairExplanation(*rounded, matched_keywords=matched, keywords=n_keywords, best_publication=best, bid=bid,
                           summary=_summary(rounded[0], matched, n_keywords, best, bid))


def _summary(affinity, matched, n_keywords, best, bid) -> str:
    """One sentence: the affinity, then what it rests on, then the bid."""
    if affinity is None:
        head = "No affinity has been computed for this pair yet"
    else:
        head = f"Affinity {affinity:.2f} (1 = the proposal's best-fitting reviewer in the pool)"
    if not n_keywords:
        words = "the reviewer lists no keywords"
    elif matched:
        names = ", ".join(k for k, _ in matched[:SHOWN_KEYWORDS]) + (", …" if len(matched) > SHOWN_KEYWORDS else "")
        words = f"{len(matched)} of their {n_keywords} keywords occur in the proposal ({names})"
    else:
        words = f"none of their {n_keywords} keywords occurs in the proposal"
    if best is None:
        paper = "no publication of theirs shares a term with it"
    else:
        paper = f"their closest publication is “{best['title']}” ({best['year']}, similarity {best['similarity']:.2f})"
    stance = "they have not bid on it" if bid is None else f"they bid “{bid.replace('_', ' ')}”"
    return f"{head}: {words}; {paper}; {stance}."
