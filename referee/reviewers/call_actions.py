"""Pool actions on a call: `/api/proposal-protected-calls/{uuid}/reviewer-pool/` (§3.5)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from referee.api.permissions import require_manager
from referee.reviewers import domain
from referee.reviewers.filters import POOL_DEFAULT_ORDERING, POOL_ORDERING, CallPoolFilter
from referee.reviewers.models import CallReviewerPool

# Documented by hand: the call viewset's own filter backends describe the call list, not this one.
LIST_PARAMETERS = [
    OpenApiParameter("invitation_status", {"type": "array", "items": {"type": "string", "enum": list(
        CallReviewerPool.Status.values)}}, explode=True),
    OpenApiParameter("o", {"type": "array", "items": {"type": "string", "enum": [
        *POOL_ORDERING, *(f"-{key}" for key in POOL_ORDERING)]}}, explode=False),
    OpenApiParameter("page", OpenApiTypes.INT),
    OpenApiParameter("page_size", OpenApiTypes.INT),
]
from referee.reviewers.serializers_pool import (
    CallReviewerPoolSerializer,
    ReviewerInvitationSerializer,
    render_entries,
    with_pool_details,
)


class PoolCallActions:
    """Mixed into the call viewset (`self.get_object()` is the call)."""

    @extend_schema(methods=["GET"], responses=CallReviewerPoolSerializer(many=True), filters=False,
                   parameters=LIST_PARAMETERS)
    @extend_schema(methods=["POST"], request=ReviewerInvitationSerializer,
                   responses=CallReviewerPoolSerializer(many=True))
    @action(detail=True, methods=["get", "post"], url_path="reviewer-pool")
    def reviewer_pool(self, request, *args, **kwargs):
        """GET: the call's pool (`invitation_status*`, `o`). POST: invite profiles; answers the new
        entries (unknown profiles and existing members are skipped)."""
        call = self.get_object()
        require_manager(request, call)
        if request.method == "POST":
            return self._invite_to_pool(request, call)
        # This list is filtered and ordered by the pool's rules, not by those of the call list.
        self.filterset_class = CallPoolFilter
        self.ordering_fields = POOL_ORDERING
        self.ordering = POOL_DEFAULT_ORDERING
        self.tie_breakers = ("-created", "uuid")
        return self.paginated(with_pool_details(CallReviewerPool.objects.filter(call=call)),
                              CallReviewerPoolSerializer, counted_in=call)

    def _invite_to_pool(self, request, call):
        data = self.validated(ReviewerInvitationSerializer)
        entries = domain.invite_reviewers(call, actor=request.user, **data)
        return Response(render_entries(entries, self.get_serializer_context()))
