"""The call's affinity cache (§5.1): all pairs computed at once by referee.matching, stored, and
recomputed when stale.

TF-IDF weights depend on the whole call's corpus, so a change anywhere recomputes every pair
rather than patching some rows with scores from a different corpus (docs/decisions.md)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from referee.assignments import affinity_rows
from referee.assignments.models import AffinityScore
from referee.assignments.progress import SILENT, Progress
from referee.calls.models import MatchingConfiguration, Proposal
from referee.matching.affinity import ReviewerText, compute_affinity
from referee.reviewers.enums import InvitationStatus
from referee.reviewers.models import CallReviewerPool, ReviewerExpertise, ReviewerProfile, ReviewerPublication

# The scale of every `affinity_score` the API shows (issue 10; docs/affinity.md).
AFFINITY_SCALE = ("Calibrated affinity in [0, 1]: a share of the proposal's best-fitting reviewer in the call's "
                  "pool (1 = that reviewer, 0.5 = half as similar, 0 = nothing in common), after a correction "
                  "that keeps publication counts from raising scores. Compared with the call's "
                  "min_affinity_threshold.")
RAW_SIMILARITY = ("Raw {source} similarity of contract §5.1 (uncalibrated; its level depends on the call's "
                  "vocabulary), null if not computed.")


@dataclass
class AffinityMatrix:
    """Scores for the call's pairs: rows follow `proposal_ids`, columns `entries`."""

    proposal_ids: list[int]
    entries: list[CallReviewerPool]
    affinity: np.ndarray
    keyword: np.ndarray
    text: np.ndarray
    # The most similar ReviewerPublication's id (0: none shares a term) and cosine: only when just
    # computed, not read back (the explanations read them per pair, assignments/explanations.py).
    best_publication: np.ndarray | None = None
    best_publication_cosine: np.ndarray | None = None


def scored_entries(call):
    """Accepted pool entries (each has a profile): the reviewers that take part in matching."""
    return (
        CallReviewerPool.objects.filter(call=call, invitation_status=InvitationStatus.ACCEPTED)
        .select_related("reviewer__user")
        .order_by("id")
    )


def proposal_text(name: str, summary: str, description: str) -> str:
    """What a proposal's affinity is computed from (and its matched keywords are found in)."""
    return f"{name}\n{summary}\n{description}"


def scored_proposals(call):
    return Proposal.objects.filter(call=call).open_for_review().order_by("id")


def _reviewer_texts(entries) -> tuple[list[ReviewerText], list[list[int]]]:
    """What each entry's affinity is computed from, and the ids of the publications it lists, in
    two queries of plain tuples: model instances for some ten thousand publications would cost
    more than the scoring."""
    profile_ids = [e.reviewer_id for e in entries]
    keywords, publications, publication_ids = defaultdict(list), defaultdict(list), defaultdict(list)
    for profile_id, keyword, level in ReviewerExpertise.objects.filter(profile_id__in=profile_ids).order_by(
            "id").values_list("profile_id", "expertise_keyword", "proficiency_level"):
        keywords[profile_id].append((keyword, level))
    for publication_id, profile_id, title, abstract in ReviewerPublication.objects.filter(
            profile_id__in=profile_ids, is_excluded_from_matching=False).order_by("id").values_list(
            "id", "profile_id", "title", "abstract"):
        publications[profile_id].append(f"{title}\n{abstract}")
        publication_ids[profile_id].append(publication_id)
    return ([ReviewerText(biography=e.reviewer.biography, keywords=keywords[e.reviewer_id],
                          publications=publications[e.reviewer_id]) for e in entries],
            [publication_ids[e.reviewer_id] for e in entries])


def _compute(call, config, progress: Progress = SILENT) -> AffinityMatrix:
    progress.step("Loading the proposals' and reviewers' texts")
    proposals = list(scored_proposals(call).only("id", "name", "project_summary", "description"))
    entries = list(scored_entries(call))
    texts = [proposal_text(p.name, p.project_summary, p.description) for p in proposals]
    reviewers, publication_ids = _reviewer_texts(entries)
    progress.step(f"Scoring {len(proposals)} proposals × {len(entries)} reviewers")
    if proposals and entries:
        result = compute_affinity(
            texts, reviewers, method=config.affinity_method,
            keyword_weight=config.keyword_weight, text_weight=config.text_weight,
        )
        affinity, keyword, text = result.affinity, result.keyword, result.text
        best = _publication_ids(result.best_publication, publication_ids)
        cosine = result.best_publication_cosine
    else:
        affinity = keyword = text = cosine = np.zeros((len(proposals), len(entries)))
        best = np.zeros(affinity.shape, dtype=np.int64)
    return AffinityMatrix([p.id for p in proposals], entries, affinity, keyword, text, best, cosine)


def _publication_ids(positions: np.ndarray, ids_per_entry: list[list[int]]) -> np.ndarray:
    """Positions in each column's publication list (−1: none) as publication ids (0: none)."""
    width = max(map(len, ids_per_entry), default=0)
    table = np.zeros((len(ids_per_entry), width + 1), dtype=np.int64)  # the last column answers −1
    for j, ids in enumerate(ids_per_entry):
        table[j, :len(ids)] = ids
    return table[np.arange(positions.shape[1]), positions]


# The steps `_refresh` reports: texts loaded, pairs scored, scores written.
STEPS = 3


def compute_affinities(call, progress: Progress = SILENT) -> int:
    """`compute-affinities`: recompute every pair and return how many scores are stored."""
    return _refresh(call, progress).affinity.size


def current_affinities(call) -> AffinityMatrix:
    """What generation uses: the cached matrix if it holds every current pair and is newer than
    every input it was computed from (proposals, profiles with their nested rows, matching
    configuration), else a freshly computed and stored one.

    Only plain per-call filters are used: right after a bulk write PostgreSQL has no statistics
    on the cache yet, and a semi-join of its half-million rows with the pool could then take
    minutes. Whether every pair is there is checked while reading the rows."""
    proposal_ids = list(scored_proposals(call).values_list("id", flat=True))
    entries = list(scored_entries(call))
    if not _changed_since_cached(call, entries, n_pairs=len(proposal_ids) * len(entries)):
        cached = _read_cache(call, proposal_ids, entries)
        if cached is not None:
            return AffinityMatrix(proposal_ids, entries, *cached)
    return _refresh(call)


def refresh_if_stale(call, progress: Progress = SILENT) -> None:
    """Bring the cache up to date before a caller takes the call's locks (generation), so that
    the scoring runs outside them; the caller's own `current_affinities` then only reads it."""
    entries = list(scored_entries(call))
    n_pairs = scored_proposals(call).count() * len(entries)
    if _changed_since_cached(call, entries, n_pairs=n_pairs):
        _refresh(call, progress)


def _changed_since_cached(call, entries, *, n_pairs: int) -> bool:
    """Too few rows, or an input modified after the oldest row was computed. Every proposal and
    pool entry of the call counts, not only the scored ones: one leaving review or the pool leaves
    its rows behind (ignored when read) but changes the TF-IDF corpus of all the others."""
    summary = AffinityScore.objects.filter(call=call).aggregate(oldest=Min("computed_at"), n=Count("id"))
    if summary["n"] < n_pairs:
        return True
    if not n_pairs:
        return False
    return summary["oldest"] < _last_input_change(call, [e.reviewer_id for e in entries])


def _last_input_change(call, profile_ids) -> datetime:
    """When an input of the scores last changed: the configuration, a proposal, a pool entry, a
    profile or its keywords and publications (the configuration always exists). `profile_ids`: a
    list or a subquery."""
    changes = [
        MatchingConfiguration.objects.filter(call=call).aggregate(m=Max("modified"))["m"],
        Proposal.objects.filter(call=call).aggregate(m=Max("modified"))["m"],
        CallReviewerPool.objects.filter(call=call).aggregate(m=Max("modified"))["m"],
        ReviewerProfile.objects.filter(id__in=profile_ids).aggregate(m=Max("modified"))["m"],
        ReviewerExpertise.objects.filter(profile_id__in=profile_ids).aggregate(m=Max("modified"))["m"],
        ReviewerPublication.objects.filter(profile_id__in=profile_ids).aggregate(m=Max("modified"))["m"],
    ]
    return max(c for c in changes if c is not None)


def _read_cache(call, proposal_ids, entries):
    """The cached rows as three P×R arrays, or None if a pair is missing. Filled by numpy fancy
    indexing from the rows taken as columns, so no Python loop runs per pair."""
    shape = (len(proposal_ids), len(entries))
    affinity, keyword, text = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    if not affinity.size:
        return affinity, keyword, text
    p, r, a, k, t = _cached_columns(call)
    i = _positions(proposal_ids, p)
    j = _positions([e.reviewer_id for e in entries], r)
    keep = (i >= 0) & (j >= 0)  # rows of pairs no longer scored are ignored
    i, j = i[keep], j[keep]
    filled = np.zeros(shape, dtype=bool)
    filled[i, j] = True
    if not filled.all():
        return None
    affinity[i, j] = a[keep]
    keyword[i, j] = np.nan_to_num(k[keep])  # a null partial score counts as 0
    text[i, j] = np.nan_to_num(t[keep])
    return affinity, keyword, text


def _cached_columns(call):
    """The call's rows as five arrays: proposal ids, reviewer ids, affinity, keyword and text
    scores (a null partial score as NaN)."""
    if connection.vendor == "postgresql":
        return affinity_rows.copy_out(call)
    rows = list(AffinityScore.objects.filter(call=call).values_list(
        "proposal_id", "reviewer_id", "affinity_score", "keyword_score", "text_score"
    ))
    if not rows:
        return (np.zeros(0, dtype=np.int64),) * 2 + (np.zeros(0),) * 3
    p, r, a, k, t = zip(*rows, strict=True)
    return (np.array(p, dtype=np.int64), np.array(r, dtype=np.int64),
            *(np.array(column, dtype=float) for column in (a, k, t)))  # None → nan


def _positions(ids, values: np.ndarray) -> np.ndarray:
    """Position of each of `values` in `ids`, −1 where absent (vectorised dictionary lookup)."""
    keys = np.asarray(ids, dtype=np.int64)
    if not len(keys):
        return np.full(len(values), -1)
    order = np.argsort(keys)
    at = np.searchsorted(keys[order], values).clip(0, len(keys) - 1)
    return np.where(keys[order][at] == values, order[at], -1)


def _refresh(call, progress: Progress = SILENT) -> AffinityMatrix:
    """Compute all pairs, replace the call's rows, set each entry's `expertise_match_score` to
    its mean affinity.

    The scoring reads its inputs without a lock and stamps the rows with the moment before it
    read them, so an input changed meanwhile makes the rows stale at once (`_changed_since_cached`)
    rather than lost. Only the replacement is serialised per call by the MatchingConfiguration lock
    (§7): two refreshes at once would otherwise both insert every pair. On SQLite a write lock is
    the whole database's, and scoring a large call inside it stalled every other writer for as
    long as the scoring took.

    `progress` hears of each step (STEPS); its `finish`, inside the transaction that replaces the
    rows, is the last moment a job may stop it: a cancelled job leaves the old rows in place."""
    computed_at = timezone.now()
    matrix = _compute(call, MatchingConfiguration.objects.get(call=call), progress)
    progress.step(f"Writing {matrix.affinity.size} scores")
    with transaction.atomic():
        config = MatchingConfiguration.objects.select_for_update().get(call=call)
        if config.modified > computed_at:  # the method or weights changed while we scored
            matrix = _compute(call, config)
        _store(call, matrix, config, computed_at)
        means = matrix.affinity.mean(axis=0) if matrix.proposal_ids else [None] * len(matrix.entries)
        for entry, mean in zip(matrix.entries, means, strict=True):
            entry.expertise_match_score = None if mean is None else round(float(mean), 4)
        CallReviewerPool.objects.bulk_update(matrix.entries, ["expertise_match_score"], batch_size=1000)
        progress.finish({"computed_count": int(matrix.affinity.size)})
        return matrix


def _store(call, matrix: AffinityMatrix, config, computed_at) -> None:
    AffinityScore.objects.filter(call=call).delete()
    if not matrix.affinity.size:
        return
    # Proposal by proposal, reviewers in id order, keys time-ordered: the rows arrive in the
    # order of the (proposal, reviewer) and uuid indexes, which then grow at their right edge
    # instead of splitting pages all over (docs/benchmarks.md).
    p_idx, r_idx = np.indices(matrix.affinity.shape)
    proposal_ids = np.asarray(matrix.proposal_ids)[p_idx.ravel()]
    reviewer_ids = np.asarray([e.reviewer_id for e in matrix.entries])[r_idx.ravel()]
    columns = (proposal_ids, reviewer_ids, matrix.affinity.ravel(), matrix.keyword.ravel(), matrix.text.ravel(),
               matrix.best_publication.ravel(), matrix.best_publication_cosine.ravel())
    fixed = dict(call_id=call.id, method=config.affinity_method, keyword_weight=config.keyword_weight,
                 text_weight=config.text_weight, computed_at=computed_at)
    if connection.vendor == "postgresql":
        affinity_rows.copy_in(columns, fixed, computed_at)
        # Fresh statistics once committed: until autovacuum gets to it, the planner would take
        # half a million new rows for a few and pick nested loops that run for minutes. After the
        # commit, so that the lock ANALYZE takes is not held for the rest of the transaction.
        transaction.on_commit(affinity_rows.analyze)
    else:
        affinity_rows.insert_rows(columns, fixed)


# --- what the console shows of the cache (issue 13) -------------------------------------------


@dataclass(frozen=True)
class CacheState:
    """When the call's scores were computed (None: never) and whether an input changed since."""

    computed_at: datetime | None
    stale: bool


def cache_state(call) -> CacheState:
    """What the console says of the cache, without counting or scanning its rows (millions in a
    large call; a refresh stamps them all with one moment, so any row tells it). A pair missing
    from the cache comes with a changed input (a proposal or reviewer added), so it reads stale."""
    any_row = AffinityScore.objects.filter(call=call).order_by().values_list("computed_at", flat=True)[:1]
    computed_at = next(iter(any_row), None)  # no ORDER BY: `first()` would sort the call's rows by id
    if computed_at is None:
        return CacheState(None, stale=False)
    # A subquery: a list of a large pool's ids costs more to send than the three lookups take.
    profile_ids = scored_entries(call).values("reviewer_id")
    return CacheState(computed_at, stale=computed_at < _last_input_change(call, profile_ids))


def cached_matrix(call) -> AffinityMatrix | None:
    """The cached scores of the call's current pairs as they stand, stale or not (never
    recomputed here), or None while a current pair has no score."""
    proposal_ids = list(scored_proposals(call).values_list("id", flat=True))
    entries = list(scored_entries(call))
    cached = _read_cache(call, proposal_ids, entries)
    return None if cached is None else AffinityMatrix(proposal_ids, entries, *cached)
