"""`/api/assignment-batches/` (§3.1) and `/api/my-assignment-batches/` (§3.2): thin HTTP
translation around `referee.assignments.domain`."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from referee.api.permissions import CanManageBatch
from referee.api.queries import person_columns
from referee.api.viewsets import RefereeViewSet
from referee.assignments import domain
from referee.assignments.filters import BATCH_ORDERING, AssignmentBatchFilter, MyAssignmentBatchFilter
from referee.assignments.models import AssignmentBatch
from referee.assignments.serializers import (
    AssignmentBatchListSerializer,
    AssignmentBatchSerializer,
    BatchNotesSerializer,
    ExtendDeadlineResponseSerializer,
    ExtendDeadlineSerializer,
    MessageResponseSerializer,
    MyAssignmentBatchDetailSerializer,
    MyAssignmentBatchSerializer,
    SendBatchResponseSerializer,
    SendBatchSerializer,
    item_prefetch,
)
from referee.reviewers.models import ReviewerProfile

SENT_MESSAGE = "Assignment batch invitation sent successfully."
CANCELLED_MESSAGE = "Assignment batch cancelled."
MANAGER_ACTIONS = ("update", "partial_update", "destroy", "send", "cancel", "extend_deadline")
# The columns a list row renders (AssignmentBatchListSerializer). The rest of the five joined rows
# (texts, tokens, JSON, a dozen timestamps) took the server longer to send and Django to decode
# than the page's query took to run.
LIST_COLUMNS = (
    "uuid", "created", "status", "sent_at", "expires_at", "responded_at", "source", "manager_notes", "call__uuid",
    "call__name", "reviewer_pool_entry__uuid", "reviewer_pool_entry__reviewer__uuid",
    "reviewer_pool_entry__reviewer__user__email", *person_columns("reviewer_pool_entry__reviewer__user"),
    *person_columns("created_by"),
)


class AssignmentBatchViewSet(mixins.RetrieveModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin,
                             RefereeViewSet):
    """No `create`: batches come only from generation, manual assignment and reassign (POST → 405).
    Action operation ids are the client's function names (drf-spectacular would append `_create`)."""

    queryset = AssignmentBatch.objects
    serializer_class = AssignmentBatchSerializer
    filterset_class = AssignmentBatchFilter
    ordering_fields = BATCH_ORDERING
    ordering = ["-created"]
    action_permissions = {name: [CanManageBatch] for name in MANAGER_ACTIONS}
    counted_list = True

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action in ("send", "cancel", "extend_deadline", "destroy"):
            return queryset  # the domain action re-reads the row under its lock
        queryset = queryset.with_counts().select_related("call", "reviewer_pool_entry__reviewer__user", "created_by")
        return queryset.only(*LIST_COLUMNS) if self.action == "list" else queryset.prefetch_related(item_prefetch())

    def get_serializer_class(self):
        return AssignmentBatchListSerializer if self.action == "list" else AssignmentBatchSerializer

    def _detail(self, batch) -> dict:
        """The batch as it is now, counts and items included (after an action changed it)."""
        fresh = self.get_queryset().get(pk=batch.pk)
        return AssignmentBatchSerializer(fresh, context=self.get_serializer_context()).data

    @extend_schema(responses=AssignmentBatchListSerializer(many=True))
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=BatchNotesSerializer, responses=AssignmentBatchSerializer)
    def update(self, request, *args, **kwargs):
        batch = self.get_object()
        data = self.validated(BatchNotesSerializer)
        if "manager_notes" in data:
            domain.update_batch_notes(batch, actor=request.user, manager_notes=data["manager_notes"])
        return Response(self._detail(batch))

    @extend_schema(request=BatchNotesSerializer, responses=AssignmentBatchSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        domain.delete_batch(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=SendBatchSerializer, responses=SendBatchResponseSerializer,
                   operation_id="assignment_batches_send")
    @action(detail=True, methods=["post"])
    def send(self, request, uuid=None):
        batch = self.get_object()
        data = self.validated(SendBatchSerializer)
        batch = domain.send_batch(batch, actor=request.user, manager_notes=data.get("manager_notes"))
        return Response(SendBatchResponseSerializer({"detail": SENT_MESSAGE, "expires_at": batch.expires_at}).data)

    @extend_schema(request=None, responses=MessageResponseSerializer, operation_id="assignment_batches_cancel")
    @action(detail=True, methods=["post"])
    def cancel(self, request, uuid=None):
        domain.cancel_batch(self.get_object(), actor=request.user)
        return Response(MessageResponseSerializer({"message": CANCELLED_MESSAGE}).data)

    @extend_schema(request=ExtendDeadlineSerializer, responses=ExtendDeadlineResponseSerializer,
                   operation_id="assignment_batches_extend_deadline")
    @action(detail=True, methods=["post"], url_path="extend-deadline")
    def extend_deadline(self, request, uuid=None):
        batch = self.get_object()
        data = self.validated(ExtendDeadlineSerializer)
        batch = domain.extend_deadline(batch, actor=request.user, expires_at=data["expires_at"])
        return Response(ExtendDeadlineResponseSerializer(batch).data)


class MyAssignmentBatchViewSet(mixins.RetrieveModelMixin, RefereeViewSet):
    """The caller's own batches once sent (sent/responded/expired); everything else is a 404."""

    queryset = AssignmentBatch.objects
    serializer_class = MyAssignmentBatchDetailSerializer
    filterset_class = MyAssignmentBatchFilter
    ordering_fields = {"sent_at": "sent_at"}
    ordering = ["-sent_at"]

    def get_queryset(self):
        queryset = AssignmentBatch.objects.own(self.request.user).with_counts().select_related("call")
        if self.action == "list":
            return queryset
        return queryset.select_related("call__coi_config").prefetch_related(item_prefetch())

    def get_serializer_class(self):
        return MyAssignmentBatchSerializer if self.action == "list" else MyAssignmentBatchDetailSerializer

    @extend_schema(responses=MyAssignmentBatchSerializer(many=True))
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        if not ReviewerProfile.objects.filter(user=request.user).exists():
            raise NotFound("Reviewer profile not found.")
        batch = self.get_object()
        context = {**self.get_serializer_context(), "disclosure": batch.call.coi_config.invitation_proposal_disclosure}
        return Response(MyAssignmentBatchDetailSerializer(batch, context=context).data)
