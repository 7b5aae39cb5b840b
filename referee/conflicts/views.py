"""`/api/conflicts-of-interest/` (§3.7) and `/api/coi-detection-jobs/` (§3.8): thin HTTP
translation around `referee.conflicts.domain`."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from referee.api.permissions import CanManageConflict, CanManageDetectionJob
from referee.api.viewsets import RefereeViewSet
from referee.conflicts import domain
from referee.conflicts.detection_requests import cancel_detection
from referee.conflicts.filters import (
    COI_DEFAULT_ORDERING,
    COI_ORDERING,
    JOB_ORDERING,
    ConflictFilter,
    DetectionJobFilter,
)
from referee.conflicts.models import COIDetectionJob, ConflictOfInterest
from referee.conflicts.serializers import (
    COIDetectionJobSerializer,
    ConflictNotesSerializer,
    ConflictOfInterestSerializer,
    DismissSerializer,
    RecuseSerializer,
    WaiveSerializer,
    with_details,
)

MANAGER_ACTIONS = ("update", "partial_update", "dismiss", "waive", "recuse")


class ConflictOfInterestViewSet(mixins.RetrieveModelMixin, mixins.UpdateModelMixin, RefereeViewSet):
    """Visible to staff/support, the call's managers and the COI's reviewer; changed by managers.
    No POST or DELETE: conflicts come from detection and self-declaration, and stay on record."""

    queryset = ConflictOfInterest.objects
    serializer_class = ConflictOfInterestSerializer
    filterset_class = ConflictFilter
    ordering_fields = COI_ORDERING
    ordering = COI_DEFAULT_ORDERING
    counted_list = True
    action_permissions = {name: [CanManageConflict] for name in MANAGER_ACTIONS}

    def get_queryset(self):
        return with_details(super().get_queryset(), listed=self.action == "list")

    def _render(self, conflict):
        fresh = with_details(ConflictOfInterest.objects).get(pk=conflict.pk)
        return Response(ConflictOfInterestSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(request=ConflictNotesSerializer, responses=ConflictOfInterestSerializer)
    def update(self, request, *args, **kwargs):
        conflict = self.get_object()
        data = self.validated(ConflictNotesSerializer)
        return self._render(domain.update_conflict_notes(conflict, actor=request.user, **data))

    @extend_schema(request=ConflictNotesSerializer, responses=ConflictOfInterestSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    def _act(self, request, body_class, act):
        conflict = self.get_object()
        data = self.validated(body_class)
        fields = {key: value for key, value in data.items() if key != "status"}
        return self._render(act(conflict, actor=request.user, **fields))

    @extend_schema(request=DismissSerializer, responses=ConflictOfInterestSerializer,
                   operation_id="conflicts_of_interest_dismiss")
    @action(detail=True, methods=["post"])
    def dismiss(self, request, uuid=None):
        return self._act(request, DismissSerializer, domain.dismiss_conflict)

    @extend_schema(request=WaiveSerializer, responses=ConflictOfInterestSerializer,
                   operation_id="conflicts_of_interest_waive")
    @action(detail=True, methods=["post"])
    def waive(self, request, uuid=None):
        return self._act(request, WaiveSerializer, domain.waive_conflict)

    @extend_schema(request=RecuseSerializer, responses=ConflictOfInterestSerializer,
                   operation_id="conflicts_of_interest_recuse")
    @action(detail=True, methods=["post"])
    def recuse(self, request, uuid=None):
        return self._act(request, RecuseSerializer, domain.recuse_conflict)


class COIDetectionJobViewSet(mixins.RetrieveModelMixin, RefereeViewSet):
    """Read, and cancel (issue 13): jobs are started by the call action `detect-conflicts/` (§3.5)."""

    queryset = COIDetectionJob.objects
    serializer_class = COIDetectionJobSerializer
    filterset_class = DetectionJobFilter
    ordering_fields = JOB_ORDERING
    ordering = ["-created"]
    action_permissions = {"cancel": [CanManageDetectionJob]}

    def get_queryset(self):
        return super().get_queryset().select_related("call")

    @extend_schema(request=None, responses=COIDetectionJobSerializer, operation_id="coi_detection_jobs_cancel")
    @action(detail=True, methods=["post"])
    def cancel(self, request, uuid=None):
        """Pending or running → cancelled: the run stops before its next chunk of reviewers; the
        conflicts already found are kept (`error_message` says how far it got). A finished job: 400."""
        job = cancel_detection(self.get_object(), user=request.user)
        return Response(self.get_serializer(COIDetectionJob.objects.select_related("call").get(pk=job.pk)).data)
