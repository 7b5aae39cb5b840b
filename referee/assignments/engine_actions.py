"""Assignment-engine actions on a call (§3.5): `compute-affinities/`, `affinity-matrix/`,
`generate-assignments/`, `proposed-assignments/`, `send-all-assignments/`.

Mixed into the call viewset through `AssignmentCallActions`; each action finds the call through
the viewset's visibility (`get_object`: unknown or invisible → 404), requires a manager (403;
support may GET), then validates (400)."""

from django.db.models import BooleanField, ExpressionWrapper
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from referee.api.permissions import require_manager
from referee.assignments import affinities, generation
from referee.assignments.domain import send_batch
from referee.assignments.engine_serializers import (
    MATRIX_SCOPES, AffinityMatrixQuerySerializer, AffinityMatrixResponseSerializer,
    ComputeAffinitiesResponseSerializer, GenerateAssignmentsResponseSerializer, GenerateAssignmentsSerializer,
    ProposedAssignmentFilter, ProposedAssignmentSerializer, SendAllAssignmentsResponseSerializer,
    SendAllAssignmentsSerializer, proposed_queryset,
)
from referee.assignments.models import AffinityScore, AssignmentBatch, ProposedAssignment
from referee.conflicts.models import ConflictOfInterest
from referee.conflicts.rules import BLOCKING
from referee.core.errors import DomainError
from referee.reviewers.models import CallReviewerPool

ACCEPTED = CallReviewerPool.Status.ACCEPTED
# "Most relevant" COI of a pair (§3.5): by status, then by severity; lower ranks first.
STATUS_RANK = {"recused": 0, "pending": 1, "waived": 2, "dismissed": 3}
SEVERITY_RANK = {"real": 0, "apparent": 1, "potential": 2}

MATRIX_PARAMETERS = [
    OpenApiParameter("scope", {"type": "string", "enum": list(MATRIX_SCOPES)},
                     description="pool (default), suggestions (always empty) or all (= pool); anything else = pool"),
    OpenApiParameter("limit", OpenApiTypes.INT, description="Most rows returned (default 5000, at most 20000)."),
]
PROPOSED_PARAMETERS = [
    OpenApiParameter("is_deployed", OpenApiTypes.BOOL),
    OpenApiParameter("page", OpenApiTypes.INT),
    OpenApiParameter("page_size", OpenApiTypes.INT),
]


def build_affinity_matrix(call, *, scope: str, limit: int) -> dict:
    """The call's cached scores for its accepted pool, best first; `count` before `limit`.
    Four queries whatever the size: pool, count, rows, the call's COIs."""
    if scope == "suggestions":
        return {"count": 0, "results": []}  # suggestions are out of scope (§0.3): none, ever
    entries = CallReviewerPool.objects.filter(call=call, invitation_status=ACCEPTED).select_related("reviewer__user")
    reviewers = {e.reviewer_id: (e.reviewer.uuid.hex, e.reviewer.user.full_name, e.uuid.hex) for e in entries}
    # The pool's ids as a list rather than a subquery: a semi-join with half a million cache
    # rows is where a planner without fresh statistics goes badly wrong.
    scores = AffinityScore.objects.filter(call=call, reviewer_id__in=list(reviewers))
    count = scores.count()
    rows = list(scores.order_by("-affinity_score", "id").values_list(
        "uuid", "reviewer_id", "proposal_id", "proposal__uuid", "proposal__name", "affinity_score", "keyword_score",
        "text_score",
    )[:limit])
    conflicts = _pair_conflicts(call) if rows else {}
    return {"count": count, "results": [matrix_entry(row, reviewers, conflicts) for row in rows]}


def _pair_conflicts(call) -> dict:
    """(reviewer id, proposal id) → (most relevant COI or None, blocked?), from one query."""
    rows = ConflictOfInterest.objects.filter(call=call).annotate(
        blocks=ExpressionWrapper(BLOCKING, output_field=BooleanField())
    ).values_list("reviewer_id", "proposal_id", "id", "coi_type", "severity", "status", "blocks")
    pairs = {}
    for reviewer_id, proposal_id, coi_id, coi_type, severity, status, blocks in rows:
        rank = (STATUS_RANK.get(status, 9), SEVERITY_RANK.get(severity, 9), coi_id)
        best, blocked = pairs.get((reviewer_id, proposal_id), (None, False))
        if best is None or rank < best[0]:
            best = (rank, coi_type, severity, status)
        pairs[(reviewer_id, proposal_id)] = (best, blocked or blocks)
    return pairs


def _score(value):
    return None if value is None else round(value, 4)


def matrix_entry(row, reviewers: dict, conflicts: dict) -> dict:
    """One client `AffinityMatrixEntry`, rendered directly: a DRF serializer per row would
    dominate the time of a 20,000-row answer."""
    key, reviewer_id, proposal_id, proposal_uuid, proposal_name, affinity, keyword, text = row
    reviewer_uuid, reviewer_name, entry_uuid = reviewers[reviewer_id]
    best, blocked = conflicts.get((reviewer_id, proposal_id), (None, False))
    return {
        "uuid": key.hex, "reviewer_uuid": reviewer_uuid, "reviewer_name": reviewer_name,
        "reviewer_pool_entry_uuid": entry_uuid, "proposal_uuid": proposal_uuid.hex, "proposal_name": proposal_name,
        "affinity_score": _score(affinity), "keyword_score": _score(keyword), "text_score": _score(text),
        "has_conflict": bool(blocked),
        "coi_type": best and best[1], "coi_severity": best and best[2], "coi_status": best and best[3],
        "source": "pool",
    }


def send_all_batches(call, *, actor, batch_uuids=None) -> dict:
    """Send the named batches of the call (none named: all its drafts), each in its own
    transaction by the `send` rules. A refusal, a uuid of no batch of this call and a repeated
    uuid's twin count as skipped, so `batches_sent + skipped` = the batches asked for."""
    batches = AssignmentBatch.objects.filter(call=call)
    if batch_uuids:
        keys = set(batch_uuids)
        batches = list(batches.filter(uuid__in=keys).order_by("created", "id"))
        skipped = len(batch_uuids) - len(batches)
    else:
        batches = list(batches.filter(status=AssignmentBatch.Status.DRAFT).order_by("created", "id"))
        skipped = 0
    sent = 0
    for batch in batches:
        try:
            send_batch(batch, actor=actor)
        except DomainError:
            skipped += 1
        else:
            sent += 1
    return {"batches_sent": sent, "skipped": skipped}


class EngineCallActions:
    """Mixed into the call viewset (`self.get_object()` is the call)."""

    @extend_schema(request=None, responses=ComputeAffinitiesResponseSerializer,
                   operation_id="proposal_protected_calls_compute_affinities")
    @action(detail=True, methods=["post"], url_path="compute-affinities")
    def compute_affinities(self, request, *args, **kwargs):
        call = self.get_object()
        require_manager(request, call)
        count = affinities.compute_affinities(call)
        return Response({"computed_count": count, "message": f"Computed {count} affinity scores."})

    @extend_schema(responses=AffinityMatrixResponseSerializer, filters=False, parameters=MATRIX_PARAMETERS,
                   operation_id="proposal_protected_calls_affinity_matrix_retrieve")
    @action(detail=True, methods=["get"], url_path="affinity-matrix")
    def affinity_matrix(self, request, *args, **kwargs):
        call = self.get_object()
        require_manager(request, call)
        query = AffinityMatrixQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(build_affinity_matrix(call, **query.validated_data))

    @extend_schema(request=GenerateAssignmentsSerializer, responses=GenerateAssignmentsResponseSerializer,
                   operation_id="proposal_protected_calls_generate_assignments")
    @action(detail=True, methods=["post"], url_path="generate-assignments")
    def generate_assignments(self, request, *args, **kwargs):
        call = self.get_object()
        require_manager(request, call)
        body = GenerateAssignmentsSerializer(data=request.data, context={"config": call.matching_config})
        body.is_valid(raise_exception=True)
        result = generation.generate_assignments(call, user=request.user, **body.validated_data)
        return Response(GenerateAssignmentsResponseSerializer(result).data)

    @extend_schema(responses=ProposedAssignmentSerializer(many=True), filters=False, parameters=PROPOSED_PARAMETERS,
                   operation_id="proposal_protected_calls_proposed_assignments_list")
    @action(detail=True, methods=["get"], url_path="proposed-assignments")
    def proposed_assignments(self, request, *args, **kwargs):
        call = self.get_object()
        require_manager(request, call)
        rows = proposed_queryset(ProposedAssignment.objects.filter(call=call))
        return self.list_of(rows, ProposedAssignmentSerializer, filterset_class=ProposedAssignmentFilter)

    @extend_schema(request=SendAllAssignmentsSerializer, responses=SendAllAssignmentsResponseSerializer,
                   operation_id="proposal_protected_calls_send_all_assignments")
    @action(detail=True, methods=["post"], url_path="send-all-assignments")
    def send_all_assignments(self, request, *args, **kwargs):
        call = self.get_object()
        require_manager(request, call)
        body = SendAllAssignmentsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(send_all_batches(call, actor=request.user, batch_uuids=body.validated_data.get("batch_uuids")))
