"""The call's affinity cache (§5.1): all pairs computed at once by referee.matching, stored, and
recomputed when stale.

TF-IDF weights depend on the whole call's corpus, so a change anywhere recomputes every pair
rather than patching some rows with scores from a different corpus (docs/decisions.md)."""

from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, Max, Min, Prefetch
from django.utils import timezone

from referee.assignments.models import AffinityScore
from referee.calls.models import MatchingConfiguration, Proposal
from referee.matching.affinity import ReviewerText, compute_affinity
from referee.reviewers.models import CallReviewerPool, ReviewerPublication


@dataclass
class AffinityMatrix:
    """Scores for the call's pairs: rows follow `proposal_ids`, columns `entries`."""

    proposal_ids: list[int]
    entries: list[CallReviewerPool]
    affinity: np.ndarray
    keyword: np.ndarray
    text: np.ndarray


def scored_entries(call, *, with_texts: bool = True):
    """Accepted pool entries (each has a profile): the reviewers that take part in matching.
    `with_texts` prefetches what their affinity is computed from (not needed to read the cache)."""
    entries = (
        CallReviewerPool.objects.filter(call=call, invitation_status="accepted")
        .select_related("reviewer__user")
        .order_by("id")
    )
    if not with_texts:
        return entries
    publications = ReviewerPublication.objects.filter(is_excluded_from_matching=False)
    return entries.prefetch_related(
        "reviewer__expertise_set", Prefetch("reviewer__publications", queryset=publications)
    )


def scored_proposals(call):
    return Proposal.objects.filter(call=call).open_for_review().order_by("id")


def _reviewer_text(profile) -> ReviewerText:
    return ReviewerText(
        biography=profile.biography,
        keywords=[(e.expertise_keyword, e.proficiency_level) for e in profile.expertise_set.all()],
        publications=[f"{p.title}\n{p.abstract}" for p in profile.publications.all()],
    )


def _compute(call) -> AffinityMatrix:
    config = call.matching_config
    proposals = list(scored_proposals(call).only("id", "name", "project_summary", "description"))
    entries = list(scored_entries(call))
    texts = [f"{p.name}\n{p.project_summary}\n{p.description}" for p in proposals]
    reviewers = [_reviewer_text(e.reviewer) for e in entries]
    if proposals and entries:
        result = compute_affinity(
            texts, reviewers, method=config.affinity_method,
            keyword_weight=config.keyword_weight, text_weight=config.text_weight,
        )
        affinity, keyword, text = result.affinity, result.keyword, result.text
    else:
        affinity = keyword = text = np.zeros((len(proposals), len(entries)))
    return AffinityMatrix([p.id for p in proposals], entries, affinity, keyword, text)


def compute_affinities(call) -> int:
    """`compute-affinities`: recompute every pair and return how many scores are stored."""
    return _refresh(call).affinity.size


def current_affinities(call) -> AffinityMatrix:
    """What generation uses: the cached matrix if complete and newer than every input it was
    computed from (proposals, profiles with their nested rows, matching configuration), else a
    freshly computed and stored one."""
    if _is_stale(call):
        return _refresh(call)
    proposal_ids = list(scored_proposals(call).values_list("id", flat=True))
    entries = list(scored_entries(call, with_texts=False))
    return AffinityMatrix(proposal_ids, entries, *_read_cache(call, proposal_ids, entries))


def _read_cache(call, proposal_ids, entries):
    """The cached rows as three P×R arrays, filled by numpy fancy indexing: the rows come as
    columns (one list per field), so no Python loop runs per pair."""
    shape = (len(proposal_ids), len(entries))
    affinity, keyword, text = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    if not affinity.size:
        return affinity, keyword, text
    rows = list(AffinityScore.objects.filter(call=call).values_list(
        "proposal_id", "reviewer_id", "affinity_score", "keyword_score", "text_score"
    ))
    if not rows:
        return affinity, keyword, text
    p, r, a, k, t = zip(*rows)
    p, r = np.array(p, dtype=np.int64), np.array(r, dtype=np.int64)
    a, k, t = (np.array(column, dtype=float) for column in (a, k, t))  # None → nan
    row_of, col_of = _positions(proposal_ids), _positions([e.reviewer_id for e in entries])
    i, j = row_of(p), col_of(r)
    keep = (i >= 0) & (j >= 0)
    i, j = i[keep], j[keep]
    affinity[i, j] = a[keep]
    keyword[i, j] = np.nan_to_num(k[keep])  # a null partial score counts as 0
    text[i, j] = np.nan_to_num(t[keep])
    return affinity, keyword, text


def _positions(ids):
    """ids → a function mapping an array of ids to their positions in `ids` (−1 if absent)."""
    keys = np.asarray(ids, dtype=np.int64)
    order = np.argsort(keys)
    sorted_keys = keys[order]

    def lookup(values):
        at = np.searchsorted(sorted_keys, values).clip(0, max(len(keys) - 1, 0))
        found = sorted_keys[at] == values if len(keys) else np.zeros(len(values), dtype=bool)
        return np.where(found, order[at], -1)

    return lookup


def _refresh(call) -> AffinityMatrix:
    """Compute all pairs, replace the call's rows, set each entry's `expertise_match_score` to
    its mean affinity. Serialised per call by the MatchingConfiguration lock (§7): two refreshes
    at once would otherwise both insert every pair."""
    with transaction.atomic():
        MatchingConfiguration.objects.select_for_update().get(call=call)
        matrix = _compute(call)
        _store(call, matrix)
        means = matrix.affinity.mean(axis=0) if matrix.proposal_ids else [None] * len(matrix.entries)
        for entry, mean in zip(matrix.entries, means):
            entry.expertise_match_score = None if mean is None else round(float(mean), 4)
        CallReviewerPool.objects.bulk_update(matrix.entries, ["expertise_match_score"], batch_size=1000)
        return matrix


def _is_stale(call) -> bool:
    from referee.reviewers.models import ReviewerExpertise, ReviewerProfile

    proposals = scored_proposals(call)
    profiles = CallReviewerPool.objects.filter(call=call, invitation_status="accepted").values("reviewer_id")
    cached = AffinityScore.objects.filter(call=call, proposal__in=proposals, reviewer_id__in=profiles)
    summary = cached.aggregate(oldest=Min("computed_at"), n=Count("id"))
    if summary["n"] != proposals.count() * profiles.count():
        return True
    if not summary["n"]:
        return False
    changes = [
        call.matching_config.modified,
        proposals.aggregate(m=Max("modified"))["m"],
        ReviewerProfile.objects.filter(id__in=profiles).aggregate(m=Max("modified"))["m"],
        ReviewerExpertise.objects.filter(profile_id__in=profiles).aggregate(m=Max("modified"))["m"],
        ReviewerPublication.objects.filter(profile_id__in=profiles).aggregate(m=Max("modified"))["m"],
    ]
    return summary["oldest"] < max(c for c in changes if c is not None)


def _store(call, matrix: AffinityMatrix) -> None:
    AffinityScore.objects.filter(call=call).delete()
    if not matrix.affinity.size:
        return
    config = call.matching_config
    p_idx, r_idx = np.indices(matrix.affinity.shape)
    proposal_ids = np.asarray(matrix.proposal_ids)[p_idx.ravel()]
    reviewer_ids = np.asarray([e.reviewer_id for e in matrix.entries])[r_idx.ravel()]
    columns = (proposal_ids, reviewer_ids, matrix.affinity.ravel(), matrix.keyword.ravel(), matrix.text.ravel())
    now = timezone.now()
    fixed = dict(call_id=call.id, method=config.affinity_method, keyword_weight=config.keyword_weight,
                 text_weight=config.text_weight, computed_at=now)
    if connection.vendor == "postgresql":
        _insert_unnest(columns, fixed, now)
    else:
        AffinityScore.objects.bulk_create(
            (AffinityScore(proposal_id=int(p), reviewer_id=int(r), affinity_score=float(a),
                           keyword_score=float(k), text_score=float(t), **fixed) for p, r, a, k, t in zip(*columns)),
            batch_size=2000,
        )


def _insert_unnest(columns, fixed, now) -> None:
    """One INSERT … SELECT FROM unnest(arrays) for all pairs: a million rows in seconds, where
    row-by-row ORM inserts would take minutes (generation's 10 s budget, issue 4)."""
    table = AffinityScore._meta.db_table
    sql = (
        f"INSERT INTO {table} (uuid, created, modified, call_id, method, keyword_weight, text_weight, computed_at,"
        " proposal_id, reviewer_id, affinity_score, keyword_score, text_score)"
        " SELECT gen_random_uuid(), %(now)s, %(now)s, %(call_id)s, %(method)s, %(keyword_weight)s, %(text_weight)s,"
        " %(computed_at)s, p, r, a, k, t FROM unnest(%(p)s::bigint[], %(r)s::bigint[], %(a)s::float8[],"
        " %(k)s::float8[], %(t)s::float8[]) AS u(p, r, a, k, t)"
    )
    p, r, a, k, t = (column.tolist() for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(sql, {**fixed, "now": now, "p": p, "r": r, "a": a, "k": k, "t": t})
