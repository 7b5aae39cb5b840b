"""Read models of the assignment engine: the call's affinity matrix (§3.5 `affinity-matrix/`),
a reviewer's batches as the My assignments page shows them, the round-up counts of calls the
console shows, and what its Overview and Batches tabs read."""

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.core.cache import cache
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Prefetch, Q
from django.db.models.functions import TruncDate

from referee.assignments.affinities import cache_state, cached_matrix, scored_entries, scored_proposals
from referee.assignments.enums import BatchStatus, ItemStatus
from referee.assignments.models import AffinityScore, AssignmentBatch, AssignmentItem
from referee.calls.disclosure import in_invitation
from referee.calls.models import Proposal
from referee.conflicts.enums import ConflictStatus, Severity
from referee.conflicts.models import ConflictOfInterest
from referee.conflicts.rules import BLOCKING
from referee.matching.ordering import best_columns, block_edges, block_means, cluster_order
from referee.reviewers.models import CallReviewerPool, ReviewerProfile
from referee.reviews.enums import ReviewState
from referee.reviews.models import Review
from referee.reviews.queries import overdue_reviews

# "Most relevant" COI of a pair (§3.5): by status, then by severity; lower ranks first.
STATUS_RANK = {ConflictStatus.RECUSED: 0, ConflictStatus.PENDING: 1, ConflictStatus.WAIVED: 2, ConflictStatus.DISMISSED: 3}
SEVERITY_RANK = {Severity.REAL: 0, Severity.APPARENT: 1, Severity.POTENTIAL: 2}
# The cache's own columns only: joining the proposal for its uuid and name made PostgreSQL join
# and sort every row of a large call for the page and for its count (0.8 s at 500k pairs); the
# page's proposals are read afterwards.
MATRIX_COLUMNS = ("uuid", "reviewer_id", "proposal_id", "affinity_score", "keyword_score", "text_score")


def matrix_rows(call, *, scope: str, proposal_uuid=None, reviewer_uuid=None):
    """The call's cached scores of its accepted pool (the matrix shows no one else), best first
    (ties by id), as an unevaluated queryset of `MATRIX_COLUMNS` tuples to paginate;
    `suggestions` are out of scope (§0.3): none, ever."""
    if scope == "suggestions":
        return AffinityScore.objects.none().values_list(*MATRIX_COLUMNS)
    pool = CallReviewerPool.objects.filter(call=call, invitation_status=CallReviewerPool.Status.ACCEPTED)
    if reviewer_uuid is not None:
        pool = pool.filter(reviewer__uuid=reviewer_uuid)
    # The pool's ids as a list rather than a subquery: a semi-join with half a million cache
    # rows is where a planner without fresh statistics goes badly wrong.
    scores = AffinityScore.objects.filter(call=call, reviewer_id__in=list(pool.values_list("reviewer_id", flat=True)))
    if proposal_uuid is not None:
        scores = scores.filter(proposal__uuid=proposal_uuid)
    return scores.order_by("-affinity_score", "id").values_list(*MATRIX_COLUMNS)


def render_matrix(call, rows: list) -> list[dict]:
    """Client `AffinityMatrixEntry`s of one page of rows, with one query each for the page's
    reviewers, proposals and conflicts. A row whose reviewer or proposal was deleted since the
    page was read is left out."""
    if not rows:
        return []
    entries = CallReviewerPool.objects.filter(call=call, reviewer_id__in={row[1] for row in rows}).select_related(
        "reviewer__user").only("uuid", "reviewer__uuid", "reviewer__user__first_name", "reviewer__user__last_name",
                               "reviewer__user__username")
    reviewers = {e.reviewer_id: (e.reviewer.uuid.hex, e.reviewer.user.full_name, e.uuid.hex) for e in entries}
    proposals = {pid: (key.hex, name) for pid, key, name in Proposal.objects.filter(
        id__in={row[2] for row in rows}).values_list("id", "uuid", "name")}
    conflicts = _pair_conflicts(call, rows)
    return [_matrix_entry(row, reviewers, proposals, conflicts) for row in rows
            if row[1] in reviewers and row[2] in proposals]


def _pair_conflicts(call, rows) -> dict:
    """(reviewer id, proposal id) → (most relevant COI or None, blocked?) for the page's pairs."""
    conflicts = ConflictOfInterest.objects.filter(
        call=call, reviewer_id__in={row[1] for row in rows}, proposal_id__in={row[2] for row in rows})
    found = conflicts.annotate(blocks=ExpressionWrapper(BLOCKING, output_field=BooleanField())).values_list(
        "reviewer_id", "proposal_id", "id", "coi_type", "severity", "status", "blocks")
    pairs = {}
    for reviewer_id, proposal_id, coi_id, coi_type, severity, status, blocks in found:
        rank = (STATUS_RANK.get(status, 9), SEVERITY_RANK.get(severity, 9), coi_id)
        best, blocked = pairs.get((reviewer_id, proposal_id), (None, False))
        if best is None or rank < best[0]:
            best = (rank, coi_type, severity, status)
        pairs[(reviewer_id, proposal_id)] = (best, blocked or blocks)
    return pairs


def _score(value):
    return None if value is None else round(value, 4)


def _matrix_entry(row, reviewers: dict, proposals: dict, conflicts: dict) -> dict:
    """One row, rendered directly: a DRF serializer per row costs more than the page's query."""
    key, reviewer_id, proposal_id, affinity, keyword, text = row
    reviewer_uuid, reviewer_name, entry_uuid = reviewers[reviewer_id]
    proposal_uuid, proposal_name = proposals[proposal_id]
    best, blocked = conflicts.get((reviewer_id, proposal_id), (None, False))
    return {
        "uuid": key.hex, "reviewer_uuid": reviewer_uuid, "reviewer_name": reviewer_name,
        "reviewer_pool_entry_uuid": entry_uuid, "proposal_uuid": proposal_uuid, "proposal_name": proposal_name,
        "affinity_score": _score(affinity), "keyword_score": _score(keyword), "text_score": _score(text),
        "has_conflict": bool(blocked),
        "coi_type": best and best[1], "coi_severity": best and best[2], "coi_status": best and best[3],
        "source": "pool",
    }


# --- a reviewer's batches (My assignments) -------------------------------------------------------

# The order of §3.2's items: best affinity first, unscored last, then by name.
ITEM_ORDER = (F("affinity_score").desc(nulls_last=True), "proposal__name", "uuid")


@dataclass(frozen=True)
class MyBatches:
    """`open`: sent batches that still take answers; `past`: the rest, read-only; each newest
    deadline first. A batch carries `takes_answers`; each item `awaits_answer`, `status_label` and
    what the invitation discloses of its proposal (`calls.disclosure.in_invitation`): `shown` (its
    level), `summary` and `description` ("" where not disclosed)."""

    open: list
    past: list


def my_batches(user, *, batch_id=None) -> MyBatches:
    """The batches `/api/my-assignment-batches/` shows `user` (sent, responded, expired: `own`), in
    every status at once, with their calls, items and item counts (`items_count`,
    `items_pending_count`): two queries however many there are. `batch_id` narrows it to one (the
    fragment a page redraws after an answer)."""
    batches = AssignmentBatch.objects.own(user).select_related("call__coi_config")
    if batch_id is not None:
        batches = batches.filter(pk=batch_id)
    items = AssignmentItem.objects.select_related("proposal", "review").order_by(*ITEM_ORDER)
    batches = list(batches.prefetch_related(Prefetch("items", queryset=items))
                   .order_by(F("expires_at").desc(nulls_last=True), "-sent_at", "uuid"))
    for batch in batches:
        batch.takes_answers = batch.status == BatchStatus.SENT and batch.accepts_answers
        level = batch.call.coi_config.invitation_proposal_disclosure
        rows = batch.items.all()
        # Counted from the items read anyway: `with_counts()` would add a subquery per batch.
        batch.items_count = len(rows)
        batch.items_pending_count = sum(item.status == ItemStatus.PENDING for item in rows)
        for item in rows:
            item.awaits_answer = batch.takes_answers and item.status == ItemStatus.PENDING
            item.status_label = ItemStatus(item.status).label  # `get_status_display` costs 20× more per item
            item.shown = in_invitation(level, item)
            item.summary = item.shown.summary_of(item.proposal)
            item.description = item.shown.description_of(item.proposal)
    return MyBatches(open=[batch for batch in batches if batch.takes_answers],
                     past=[batch for batch in batches if not batch.takes_answers])


@dataclass
class RoundUp:
    """How far a call's review round has come: counts by status of each kind of row."""

    proposals: Counter = field(default_factory=Counter)  # by proposal state
    pool: Counter = field(default_factory=Counter)  # by invitation status
    batches: Counter = field(default_factory=Counter)  # by batch status
    items: Counter = field(default_factory=Counter)  # by item status
    reviews: Counter = field(default_factory=Counter)  # by review state

    @property
    def proposals_all(self) -> int:  # templates cannot call Counter.total(): a key lookup answers first
        return self.proposals.total()

    @property
    def proposals_open(self) -> int:
        return sum(self.proposals[state] for state in Proposal.OPEN_FOR_REVIEW)


def round_up(call_ids) -> dict[int, RoundUp]:
    """The round-up of each of `call_ids`, in five grouped queries whatever the number of calls."""
    ids = list(call_ids)
    result = defaultdict(RoundUp)
    counted = (
        ("proposals", Proposal.objects.filter(call_id__in=ids), "call_id", "state"),
        ("pool", CallReviewerPool.objects.filter(call_id__in=ids), "call_id", "invitation_status"),
        ("batches", AssignmentBatch.objects.filter(call_id__in=ids), "call_id", "status"),
        ("items", AssignmentItem.objects.filter(call_id__in=ids), "call_id", "status"),
        ("reviews", Review.objects.filter(call_id__in=ids), "call_id", "state"),
    )
    for name, rows, call_key, status_key in counted:
        for call_id, status, n in rows.order_by().values_list(call_key, status_key).annotate(n=Count("pk")):
            getattr(result[call_id], name)[status] = n
    return {call_id: result[call_id] for call_id in ids}


# --- the call manager's console (issue 13): Overview and Batches ---------------------------------

@dataclass
class Timeline:
    """Answers to invitations and submitted reviews, cumulative per day (the reader's zone), from
    the first day with one to the last; empty when there is none yet."""

    days: list = field(default_factory=list)  # dates
    accepted: list = field(default_factory=list)
    declined: list = field(default_factory=list)
    submitted: list = field(default_factory=list)


@dataclass
class Overview:
    counts: RoundUp
    overdue_reviews: int  # in review past their deadline, until the overdue-review job rejects them
    timeline: Timeline


def call_overview(call, now) -> Overview:
    """The call's round-up, its overdue reviews and its timeline: eight grouped queries."""
    return Overview(counts=round_up([call.id])[call.id],
                    overdue_reviews=overdue_reviews(now).filter(proposal__call=call).count(),
                    timeline=_timeline(call))


def _timeline(call) -> Timeline:
    """Per day: items answered (`responded_at`; an accepted one is the one that got a review,
    whatever happened to it since), and reviews submitted (a submitted review is frozen, so its
    `modified` is when it was submitted, as `reviewers.queries.reviewer_stats` reads it)."""
    got_review = ExpressionWrapper(Q(review__isnull=False), output_field=BooleanField())
    answers = (AssignmentItem.objects.filter(batch__call=call, responded_at__isnull=False).order_by()
               .annotate(day=TruncDate("responded_at"), accepted=got_review)
               .values_list("day", "accepted").annotate(n=Count("pk")))
    reviews = (Review.objects.filter(call=call, state=ReviewState.SUBMITTED).order_by()
               .annotate(day=TruncDate("modified")).values_list("day").annotate(n=Count("pk")))
    per_day = defaultdict(Counter)
    for day, accepted, n in answers:
        per_day[day]["accepted" if accepted else "declined"] += n
    for day, n in reviews:
        per_day[day]["submitted"] += n
    timeline = Timeline()
    if not per_day:
        return timeline
    day, last, total = min(per_day), max(per_day), Counter()
    while day <= last:
        total.update(per_day.get(day, {}))
        timeline.days.append(day)
        for series in ("accepted", "declined", "submitted"):
            getattr(timeline, series).append(total[series])
        day += timedelta(days=1)
    return timeline


def batch_rows(batches):
    """A page of the console's batch table: `batches` with their reviewers, and their items with
    their proposals, best affinity first (two queries for the page, once sliced)."""
    items = AssignmentItem.objects.select_related("proposal").only(
        "uuid", "batch_id", "status", "affinity_score", "has_coi", "responded_at", "decline_reason", "proposal__uuid",
        "proposal__name").order_by(*ITEM_ORDER)
    return batches.select_related("reviewer_pool_entry__reviewer__user").prefetch_related(
        Prefetch("items", queryset=items))


# --- the console's affinity heatmap and best reviewers (issue 13) ------------------------------

HEATMAP_BLOCKS = 40  # at most this many rows and columns of cells, whatever the call's size
BEST_REVIEWERS = 5
LAYOUT_SECONDS = 7 * 24 * 3600  # a layout is keyed by its cache's moment: a newer one never reads it


@dataclass(frozen=True)
class AffinityLayout:
    """The cached scores arranged for the heatmap (`matching.ordering`): proposal and reviewer
    profile ids in cluster order, the block means between `row_edges` × `column_edges`, and per
    proposal (same order) the positions in `reviewer_ids` of its best reviewers with their scores.
    Not `complete` (and empty) when a current pair has no score. Costly for a large call (every
    score is read and clustered), so made by a worker (`arrange_affinities`) and kept in Django's
    cache for as long as the scores and the pool it was made from."""

    complete: bool
    proposal_ids: list = field(default_factory=list)
    reviewer_ids: list = field(default_factory=list)
    row_edges: np.ndarray = None
    column_edges: np.ndarray = None
    blocks: np.ndarray = None
    best: np.ndarray = None
    best_scores: np.ndarray = None


@dataclass(frozen=True)
class HeatmapCells:
    """The heatmap as shown: a label per row and column of cells (a proposal or reviewer, or a
    block of them named by its first), and the scores (block means when aggregated)."""

    row_labels: list
    column_labels: list
    values: list
    aggregated: bool


@dataclass(frozen=True)
class BestReviewers:
    """One proposal and its best reviewers: (name, score, conflict status or None) each."""

    proposal_uuid: str
    proposal_name: str
    reviewers: list


def layout_key(call, state) -> str:
    """Where the layout of the call's scores (`state`: `affinities.cache_state`) is kept: the
    call's uuid (ids come round again in a fresh test database, uuids do not), the moment of the
    scores and a digest of the current proposals and reviewers. Two small queries."""
    proposal_ids = list(scored_proposals(call).values_list("id", flat=True))
    reviewer_ids = list(scored_entries(call).values_list("reviewer_id", flat=True))
    digest = hashlib.sha256(np.asarray(proposal_ids + [-1] + reviewer_ids, dtype=np.int64).tobytes()).hexdigest()
    return f"affinity-layout:{call.uuid.hex}:{state.computed_at.timestamp()}:{digest[:16]}"


def affinity_layout(call, state) -> AffinityLayout | None:
    """The layout of the call's scores as arranged, None while it is not (or never computed)."""
    return None if state.computed_at is None else cache.get(layout_key(call, state))


def arrange_affinities(call) -> None:
    """Read every cached score of the call, arrange them for the heatmap and keep the layout
    (what the worker's `tasks.arrange_affinity_heatmap` runs)."""
    state = cache_state(call)
    if state.computed_at is not None:
        cache.set(layout_key(call, state), _arrange(cached_matrix(call)), LAYOUT_SECONDS)


def _arrange(matrix) -> AffinityLayout:
    if matrix is None:
        return AffinityLayout(complete=False)
    rows, columns = cluster_order(matrix.affinity)
    ordered = matrix.affinity[rows][:, columns]
    row_edges = block_edges(len(rows), HEATMAP_BLOCKS)
    column_edges = block_edges(len(columns), HEATMAP_BLOCKS)
    best, best_scores = best_columns(ordered, BEST_REVIEWERS)
    return AffinityLayout(True, [matrix.proposal_ids[i] for i in rows], [matrix.entries[j].reviewer_id for j in columns],
                          row_edges, column_edges, block_means(ordered, row_edges, column_edges), best, best_scores)


def heatmap_cells(layout: AffinityLayout) -> HeatmapCells:
    """The cells of the heatmap with their labels: two queries (the names of each block's first
    proposal and reviewer)."""
    first_rows = [layout.proposal_ids[i] for i in layout.row_edges[:-1]]
    first_columns = [layout.reviewer_ids[j] for j in layout.column_edges[:-1]]
    proposals = dict(Proposal.objects.filter(id__in=first_rows).values_list("id", "name"))
    reviewers = _reviewer_names(first_columns)
    return HeatmapCells(
        _block_labels(layout.row_edges, [proposals.get(i, "") for i in first_rows]),
        _block_labels(layout.column_edges, [reviewers.get(j, "") for j in first_columns]),
        layout.blocks.round(4).tolist(),
        aggregated=len(layout.row_edges) <= len(layout.proposal_ids) or len(layout.column_edges) <= len(layout.reviewer_ids),
    )


def _block_labels(edges, first_names) -> list[str]:
    return [name if end - start == 1 else f"{name} and {end - start - 1} more"
            for name, start, end in zip(first_names, edges[:-1], edges[1:], strict=True)]


def _reviewer_names(profile_ids) -> dict:
    rows = ReviewerProfile.objects.filter(id__in=profile_ids).values_list(
        "id", "user__first_name", "user__last_name", "user__username")
    return {pid: f"{first} {last}".strip() or username for pid, first, last, username in rows}


def best_reviewers(call, layout: AffinityLayout, positions) -> list[BestReviewers]:
    """The best reviewers of the proposals at `positions` of the layout (a page of them), with
    the status of the most relevant conflict of each pair: three queries however many."""
    best = {layout.proposal_ids[i]: [(layout.reviewer_ids[j], float(score))
                                     for j, score in zip(layout.best[i], layout.best_scores[i], strict=True)]
            for i in positions}
    proposals = Proposal.objects.filter(id__in=best).values_list("id", "uuid", "name")
    names = _reviewer_names({reviewer_id for pairs in best.values() for reviewer_id, _ in pairs})
    conflicts = _pair_conflicts(call, [(None, reviewer_id, proposal_id) for proposal_id, pairs in best.items()
                                       for reviewer_id, _ in pairs])

    def conflict_status(reviewer_id, proposal_id):
        most_relevant, _ = conflicts.get((reviewer_id, proposal_id), (None, False))
        return most_relevant and most_relevant[3]

    found = {pid: (key.hex, name) for pid, key, name in proposals}  # a proposal deleted since is left out
    return [BestReviewers(*found[pid], [(names.get(rid, ""), round(score, 4), conflict_status(rid, pid))
                                        for rid, score in best[pid]])
            for pid in best if pid in found]
