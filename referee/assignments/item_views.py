"""`/api/assignment-items/` (§3.3): thin HTTP translation around `referee.assignments.domain`.

Visibility is the batches' (a reviewer sees own items of sent/responded/expired batches only),
so an item of a draft or cancelled batch is a 404 for its reviewer before any role check."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from referee.api.permissions import CanManageItem, CanReadItemSuggestions, CanRespondToItem
from referee.api.viewsets import RefereeViewSet
from referee.assignments import domain
from referee.assignments.item_filters import ITEM_ORDERING, AssignmentItemFilter
from referee.assignments.models import AssignmentItem
from referee.assignments.serializers import (
    AssignmentItemSerializer,
    ForceUnblockSerializer,
    ItemDeclineReasonSerializer,
    ItemDeclineSerializer,
    ItemResponseSerializer,
    ReassignResponseSerializer,
    ReassignSerializer,
    SuggestionsSerializer,
    item_details,
)

ACCEPTED_MESSAGE = "Assignment accepted. Review created."
DECLINED_MESSAGE = "Assignment declined."
REASSIGNED_MESSAGE = "Assignment reassigned successfully."
MANAGER_ACTIONS = ("update", "partial_update", "destroy", "reassign", "force_unblock")
# The columns a list row renders (AssignmentItemSerializer): the joined proposal's texts and the
# other joined columns cost more to send and decode than the page's query took to run.
LIST_COLUMNS = (
    "uuid", "created", "status", "affinity_score", "has_coi", "responded_at", "decline_reason", "reassign_count",
    "override_reason", "overridden_at", "batch__uuid", "proposal__uuid", "proposal__name", "proposal__slug",
    "review__uuid", "overridden_by__uuid", "overridden_by__username", "overridden_by__first_name",
    "overridden_by__last_name",
)


class AssignmentItemViewSet(mixins.RetrieveModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin,
                            RefereeViewSet):
    """No `create`: items come from generation, manual assignment and reassign (POST → 405).
    Action operation ids are the client's function names."""

    queryset = AssignmentItem.objects
    serializer_class = AssignmentItemSerializer
    filterset_class = AssignmentItemFilter
    ordering_fields = ITEM_ORDERING
    ordering = ["-created"]
    counted_list = True
    action_permissions = {
        **{name: [CanManageItem] for name in MANAGER_ACTIONS},
        "suggest_alternatives": [CanReadItemSuggestions],
        "accept": [CanRespondToItem],
        "decline": [CanRespondToItem],
    }

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            return item_details(queryset).only(*LIST_COLUMNS)
        if self.action == "retrieve":
            return item_details(queryset)
        # Actions re-read their rows under lock; the role checks need only these joins.
        return queryset.select_related("batch__call", "pool_entry__reviewer")

    def _render(self, item) -> Response:
        fresh = item_details(AssignmentItem.objects).get(pk=item.pk)
        return Response(AssignmentItemSerializer(fresh, context=self.get_serializer_context()).data)

    def _body(self, serializer_class):
        body = serializer_class(data=self.request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data

    @extend_schema(request=ItemDeclineReasonSerializer, responses=AssignmentItemSerializer)
    def update(self, request, *args, **kwargs):
        item = self.get_object()
        data = self._body(ItemDeclineReasonSerializer)
        if "decline_reason" in data:  # like batch notes: an empty body changes nothing
            domain.update_decline_reason(item, actor=request.user, decline_reason=data["decline_reason"])
        return self._render(item)

    @extend_schema(request=ItemDeclineReasonSerializer, responses=AssignmentItemSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        domain.delete_item(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=ItemResponseSerializer, operation_id="assignment_items_accept")
    @action(detail=True, methods=["post"])
    def accept(self, request, uuid=None):
        review = domain.accept_item(self.get_object(), actor=request.user)
        return Response(ItemResponseSerializer({"detail": ACCEPTED_MESSAGE, "review_uuid": review.uuid}).data)

    @extend_schema(request=ItemDeclineSerializer, responses=ItemResponseSerializer,
                   operation_id="assignment_items_decline")
    @action(detail=True, methods=["post"])
    def decline(self, request, uuid=None):
        item = self.get_object()
        data = self._body(ItemDeclineSerializer)
        domain.decline_item(item, actor=request.user, reason=data["reason"])
        return Response(ItemResponseSerializer({"detail": DECLINED_MESSAGE, "review_uuid": None}).data)

    @extend_schema(request=None, responses=SuggestionsSerializer,
                   operation_id="assignment_items_suggest_alternatives_retrieve")
    @action(detail=True, methods=["get"], url_path="suggest_alternatives")
    def suggest_alternatives(self, request, uuid=None):
        suggestions = domain.suggest_alternatives(self.get_object())
        return Response(SuggestionsSerializer({"suggestions": suggestions}).data)

    @extend_schema(request=ReassignSerializer, responses=ReassignResponseSerializer,
                   operation_id="assignment_items_reassign")
    @action(detail=True, methods=["post"])
    def reassign(self, request, uuid=None):
        item = self.get_object()
        new = domain.reassign_item(item, actor=request.user, **self._body(ReassignSerializer))
        return Response(ReassignResponseSerializer({
            "detail": REASSIGNED_MESSAGE, "new_item_uuid": new.uuid, "new_batch_uuid": new.batch.uuid,
            "has_coi": new.has_coi,
        }).data)

    @extend_schema(request=ForceUnblockSerializer, responses=AssignmentItemSerializer,
                   operation_id="assignment_items_force_unblock")
    @action(detail=True, methods=["post"], url_path="force-unblock")
    def force_unblock(self, request, uuid=None):
        item = self.get_object()
        data = self._body(ForceUnblockSerializer)
        return self._render(domain.force_unblock(item, actor=request.user, override_reason=data["override_reason"]))
