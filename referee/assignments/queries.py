"""Read models of the assignment engine: the call's affinity matrix (§3.5 `affinity-matrix/`)."""

from django.db.models import BooleanField, ExpressionWrapper

from referee.assignments.models import AffinityScore
from referee.conflicts.models import ConflictOfInterest
from referee.conflicts.rules import BLOCKING
from referee.reviewers.models import CallReviewerPool

# "Most relevant" COI of a pair (§3.5): by status, then by severity; lower ranks first.
STATUS_RANK = {"recused": 0, "pending": 1, "waived": 2, "dismissed": 3}
SEVERITY_RANK = {"real": 0, "apparent": 1, "potential": 2}
MATRIX_COLUMNS = ("uuid", "reviewer_id", "proposal_id", "proposal__uuid", "proposal__name", "affinity_score",
                  "keyword_score", "text_score")


def matrix_pool(call) -> dict:
    """The call's accepted pool (the matrix shows no one else): profile id → (profile uuid hex,
    name, pool entry uuid hex)."""
    entries = CallReviewerPool.objects.filter(
        call=call, invitation_status=CallReviewerPool.Status.ACCEPTED).select_related("reviewer__user")
    return {e.reviewer_id: (e.reviewer.uuid.hex, e.reviewer.user.full_name, e.uuid.hex) for e in entries}


def matrix_rows(call, pool: dict, *, scope: str, proposal_uuid=None, reviewer_uuid=None):
    """The call's cached scores of `pool`, best first (ties by id), as an unevaluated queryset of
    `MATRIX_COLUMNS` tuples to paginate; `suggestions` are out of scope (§0.3): none, ever."""
    if scope == "suggestions":
        return AffinityScore.objects.none().values_list(*MATRIX_COLUMNS)
    # The pool's ids as a list rather than a subquery: a semi-join with half a million cache
    # rows is where a planner without fresh statistics goes badly wrong.
    reviewer_ids = [rid for rid, (key, _, _) in pool.items() if reviewer_uuid is None or key == reviewer_uuid.hex]
    scores = AffinityScore.objects.filter(call=call, reviewer_id__in=reviewer_ids)
    if proposal_uuid is not None:
        scores = scores.filter(proposal__uuid=proposal_uuid)
    return scores.order_by("-affinity_score", "id").values_list(*MATRIX_COLUMNS)


def render_matrix(call, rows: list, pool: dict) -> list[dict]:
    """Client `AffinityMatrixEntry`s of one page of rows, with one query for their conflicts."""
    conflicts = _pair_conflicts(call, rows) if rows else {}
    return [_matrix_entry(row, pool, conflicts) for row in rows]


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


def _matrix_entry(row, pool: dict, conflicts: dict) -> dict:
    """One row, rendered directly: a DRF serializer per row costs more than the page's query."""
    key, reviewer_id, proposal_id, proposal_uuid, proposal_name, affinity, keyword, text = row
    reviewer_uuid, reviewer_name, entry_uuid = pool[reviewer_id]
    best, blocked = conflicts.get((reviewer_id, proposal_id), (None, False))
    return {
        "uuid": key.hex, "reviewer_uuid": reviewer_uuid, "reviewer_name": reviewer_name,
        "reviewer_pool_entry_uuid": entry_uuid, "proposal_uuid": proposal_uuid.hex, "proposal_name": proposal_name,
        "affinity_score": _score(affinity), "keyword_score": _score(keyword), "text_score": _score(text),
        "has_conflict": bool(blocked),
        "coi_type": best and best[1], "coi_severity": best and best[2], "coi_status": best and best[3],
        "source": "pool",
    }
