"""Assignment-engine actions on a call (§3.5): `compute-affinities/`, `affinity-matrix/`,
`generate-assignments/`, `deploy-preview/`, `proposed-assignments/`, `send-all-assignments/`,
`pair-explanation/`.

Mixed into the call viewset through `AssignmentCallActions`; each action finds the call through
the viewset's visibility (`get_object`: unknown or invisible → 404), requires a manager (403;
support may GET), then validates (400)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from referee.api.permissions import require_manager
from referee.assignments import affinities, generation
from referee.assignments.domain import send_all_batches
from referee.assignments.engine_serializers import (
    MATRIX_SCOPES,
    AffinityMatrixQuerySerializer,
    AffinityMatrixResponseSerializer,
    ComputeAffinitiesResponseSerializer,
    DeployPreviewSerializer,
    GenerateAssignmentsResponseSerializer,
    GenerateAssignmentsSerializer,
    PairExplanationQuerySerializer,
    PairExplanationSerializer,
    ProposedAssignmentFilter,
    ProposedAssignmentSerializer,
    SendAllAssignmentsResponseSerializer,
    SendAllAssignmentsSerializer,
    proposed_queryset,
)
from referee.assignments.explanations import explain_pairs
from referee.assignments.models import ProposedAssignment
from referee.assignments.queries import matrix_rows, render_matrix
from referee.calls.models import Proposal
from referee.core.errors import FieldError
from referee.reviewers.models import ReviewerProfile

PAGE_PARAMETERS = [OpenApiParameter("page", OpenApiTypes.INT), OpenApiParameter("page_size", OpenApiTypes.INT)]
MATRIX_PARAMETERS = [
    OpenApiParameter("scope", {"type": "string", "enum": list(MATRIX_SCOPES)},
                     description="pool (default), suggestions (always empty) or all (= pool); anything else = pool"),
    OpenApiParameter("proposal_uuid", OpenApiTypes.UUID, description="Only this proposal's row of the matrix."),
    OpenApiParameter("reviewer_uuid", OpenApiTypes.UUID,
                     description="Only this reviewer's column (the reviewer profile's uuid)."),
    *PAGE_PARAMETERS,
]
NOT_IN_CALL = "No proposal of this call has this uuid."
NO_REVIEWER = "No reviewer profile has this uuid."
PROPOSED_PARAMETERS = [OpenApiParameter("is_deployed", OpenApiTypes.BOOL), *PAGE_PARAMETERS]


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
        """Paginated like every list (page/page_size, Link, X-Result-Count), in the client's
        `{"count", "results"}` body."""
        call = self.get_object()
        require_manager(request, call)
        query = AffinityMatrixQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = self.paginate_queryset(matrix_rows(call, **query.validated_data))
        headers = self.paginator.headers()
        if request.method == "HEAD":
            return Response(headers=headers)
        body = {"count": self.paginator.page.paginator.count, "results": render_matrix(call, page)}
        return Response(body, headers=headers)

    @extend_schema(request=GenerateAssignmentsSerializer, responses=GenerateAssignmentsResponseSerializer,
                   operation_id="proposal_protected_calls_generate_assignments")
    @action(detail=True, methods=["post"], url_path="generate-assignments")
    def generate_assignments(self, request, *args, **kwargs):
        call = self.get_object()
        require_manager(request, call)
        data = self.validated(GenerateAssignmentsSerializer, context={"config": call.matching_config})
        result = generation.generate_assignments(call, user=request.user, **data)
        return Response(GenerateAssignmentsResponseSerializer(result).data)

    @extend_schema(request=DeployPreviewSerializer, responses=GenerateAssignmentsResponseSerializer,
                   operation_id="proposal_protected_calls_deploy_preview")
    @action(detail=True, methods=["post"], url_path="deploy-preview")
    def deploy_preview(self, request, *args, **kwargs):
        call = self.get_object()
        require_manager(request, call)
        data = self.validated(DeployPreviewSerializer)
        result = generation.deploy_preview(call, user=request.user, **data)
        return Response(GenerateAssignmentsResponseSerializer(result).data)

    @extend_schema(responses=ProposedAssignmentSerializer(many=True), filters=False, parameters=PROPOSED_PARAMETERS,
                   operation_id="proposal_protected_calls_proposed_assignments_list")
    @action(detail=True, methods=["get"], url_path="proposed-assignments")
    def proposed_assignments(self, request, *args, **kwargs):
        call = self.get_object()
        require_manager(request, call)
        rows = proposed_queryset(ProposedAssignment.objects.filter(call=call), listed=True)
        return self.list_of(rows, ProposedAssignmentSerializer, filterset_class=ProposedAssignmentFilter, counted_in=call)

    @extend_schema(request=SendAllAssignmentsSerializer, responses=SendAllAssignmentsResponseSerializer,
                   operation_id="proposal_protected_calls_send_all_assignments")
    @action(detail=True, methods=["post"], url_path="send-all-assignments")
    def send_all_assignments(self, request, *args, **kwargs):
        call = self.get_object()
        require_manager(request, call)
        data = self.validated(SendAllAssignmentsSerializer)
        return Response(send_all_batches(call, actor=request.user, batch_uuids=data.get("batch_uuids")))

    @extend_schema(responses=PairExplanationSerializer, filters=False, parameters=[PairExplanationQuerySerializer],
                   operation_id="proposal_protected_calls_pair_explanation_retrieve")
    @action(detail=True, methods=["get"], url_path="pair-explanation")
    def pair_explanation(self, request, *args, **kwargs):
        """Why a reviewer fits a proposal of the call: the affinity's parts, matched keywords, the
        closest publication and the bid (the read model the console's preview rows use)."""
        call = self.get_object()
        require_manager(request, call)
        query = PairExplanationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        proposal = Proposal.objects.filter(call=call, uuid=query.validated_data["proposal_uuid"]).first()
        if proposal is None:
            raise FieldError("proposal_uuid", NOT_IN_CALL)
        profile = ReviewerProfile.objects.filter(uuid=query.validated_data["reviewer_uuid"]).first()
        if profile is None:
            raise FieldError("reviewer_uuid", NO_REVIEWER)
        explanation = explain_pairs(call, [(proposal.id, profile.id)])[(proposal.id, profile.id)]
        body = {"proposal_uuid": proposal.uuid.hex, "reviewer_uuid": profile.uuid.hex, **explanation.as_dict()}
        return Response(PairExplanationSerializer(body).data)
