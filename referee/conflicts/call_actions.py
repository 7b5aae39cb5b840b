"""Conflict actions on a call: `detect-conflicts/`, `conflicts/`, `conflict-summary/` (§3.5).
(`coi-configuration/` lives with the call's other configurations in `referee.calls.views`.)"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from referee.api.permissions import require_manager
from referee.calls.models import COI_TYPE_CODES
from referee.conflicts.detection_requests import start_detection
from referee.conflicts.filters import COI_DEFAULT_ORDERING, COI_ORDERING, CallConflictFilter
from referee.conflicts.models import ConflictOfInterest
from referee.conflicts.queries import summarise_conflicts
from referee.conflicts.serializers import (
    COIDetectionJobSerializer,
    ConflictOfInterestSerializer,
    DetectConflictsSerializer,
    with_details,
)

STATUSES = ConflictOfInterest.Status.values
SEVERITIES = ConflictOfInterest.Severity.values


def _multi(name, values):
    return OpenApiParameter(name, {"type": "array", "items": {"type": "string", "enum": list(values)}}, explode=True)


# Documented by hand: the call viewset's own filter backends describe the call list, not this one.
CONFLICT_LIST_PARAMETERS = [
    _multi("status", STATUSES), _multi("severity", SEVERITIES), _multi("coi_type", COI_TYPE_CODES),
    OpenApiParameter("o", {"type": "array", "items": {"type": "string", "enum": [
        *COI_ORDERING, *(f"-{key}" for key in COI_ORDERING)]}}, explode=False),
    OpenApiParameter("page", OpenApiTypes.INT),
    OpenApiParameter("page_size", OpenApiTypes.INT),
]
SUMMARY = inline_serializer("ConflictSummaryResponse", {
    "total": serializers.IntegerField(),
    "by_status": serializers.DictField(child=serializers.IntegerField()),
    "by_severity": serializers.DictField(child=serializers.IntegerField()),
    "by_type": serializers.DictField(child=serializers.IntegerField()),
})


class ConflictCallActions:
    """Mixed into the call viewset (`self.get_object()` is the call)."""

    @extend_schema(request=DetectConflictsSerializer, responses=COIDetectionJobSerializer,
                   operation_id="proposal_protected_calls_detect_conflicts")
    @action(detail=True, methods=["post"], url_path="detect-conflicts")
    def detect_conflicts(self, request, *args, **kwargs):
        """Queue a detection job and answer at once: 200 with the job as it is now, normally still
        pending (Waldur's 202 is not in its client); 503 when no background worker is running."""
        call = self.get_object()
        require_manager(request, call)
        data = self.validated(DetectConflictsSerializer)
        job = start_detection(call, user=request.user, job_type=data["job_type"])
        # A worker may already have taken it (or, where tasks run eagerly, finished it) after commit.
        job.refresh_from_db()
        return Response(COIDetectionJobSerializer(job, context=self.get_serializer_context()).data)

    @extend_schema(responses=ConflictOfInterestSerializer(many=True), filters=False,
                   parameters=CONFLICT_LIST_PARAMETERS)
    @action(detail=True, methods=["get"])
    def conflicts(self, request, *args, **kwargs):
        call = self.get_object()
        require_manager(request, call)
        return self.list_of(
            with_details(ConflictOfInterest.objects.filter(call=call), listed=True), ConflictOfInterestSerializer,
            filterset_class=CallConflictFilter, ordering_fields=COI_ORDERING, ordering=COI_DEFAULT_ORDERING,
            counted_in=call,
        )

    @extend_schema(responses=SUMMARY, filters=False)
    @action(detail=True, methods=["get"], url_path="conflict-summary")
    def conflict_summary(self, request, *args, **kwargs):
        call = self.get_object()
        require_manager(request, call)
        return Response(summarise_conflicts(call))
