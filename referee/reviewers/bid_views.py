"""`/api/reviewer-bids/` (§3.9): thin HTTP translation around `referee.reviewers.bids`."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from referee.api.filters import MultipleChoiceFilter
from referee.api.permissions import CanChangeBid
from referee.api.viewsets import RefereeViewSet
from referee.reviewers import bids
from referee.reviewers.bid_serializers import (
    BidSubmitSerializer,
    BidUpdateSerializer,
    BulkBidResponseSerializer,
    BulkBidSerializer,
    ReviewerBidSerializer,
    with_bid_details,
)
from referee.reviewers.models import ReviewerBid


class BidFilter(django_filters.FilterSet):
    call_uuid = django_filters.UUIDFilter(field_name="call__uuid")
    proposal_uuid = django_filters.UUIDFilter(field_name="proposal__uuid")
    reviewer_uuid = django_filters.UUIDFilter(field_name="reviewer__uuid")
    bid = MultipleChoiceFilter(choices=ReviewerBid.Bid)

    class Meta:
        model = ReviewerBid
        fields = []


class ReviewerBidViewSet(mixins.RetrieveModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin,
                         RefereeViewSet):
    """Visible to the bidder, the call's managers and staff/support; only the bidder changes it.
    POST `/` is not routed (405): bids are placed through `submit/` and `bulk-submit/`."""

    queryset = ReviewerBid.objects
    serializer_class = ReviewerBidSerializer
    filterset_class = BidFilter
    ordering_fields = {"submitted_at": "created", "modified_at": "modified", "bid": "bid"}
    ordering = ["-submitted_at"]
    counted_list = True
    action_permissions = {name: [CanChangeBid] for name in ("update", "partial_update", "destroy")}

    def get_queryset(self):
        return with_bid_details(super().get_queryset(), listed=self.action == "list")

    def _render(self, bid):
        fresh = with_bid_details(ReviewerBid.objects).get(pk=bid.pk)
        return Response(ReviewerBidSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(request=BidUpdateSerializer, responses=ReviewerBidSerializer)
    def update(self, request, *args, partial=False, **kwargs):
        bid = self.get_object()
        data = self.validated(BidUpdateSerializer, partial=partial)
        return self._render(bids.update_bid(bid, actor=request.user, changes=data))

    @extend_schema(request=BidUpdateSerializer, responses=ReviewerBidSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        bids.delete_bid(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=ReviewerBidSerializer(many=True), operation_id="reviewer_bids_my_bids_list")
    @action(detail=False, methods=["get"], url_path="my-bids")
    def my_bids(self, request):
        """The caller's own bids (none without a profile), with the list's filters and ordering."""
        return self.paginated(with_bid_details(ReviewerBid.objects.filter(reviewer__user=request.user), listed=True))

    @extend_schema(request=BidSubmitSerializer, responses=ReviewerBidSerializer, operation_id="reviewer_bids_submit")
    @action(detail=False, methods=["post"])
    def submit(self, request):
        """Create or update the caller's bid: 200 either way (Waldur's 201 is not in its client)."""
        data = self.validated(BidSubmitSerializer)
        return self._render(bids.submit_bid(request.user, **data))

    @extend_schema(request=BulkBidSerializer, responses=BulkBidResponseSerializer,
                   operation_id="reviewer_bids_bulk_submit")
    @action(detail=False, methods=["post"], url_path="bulk-submit")
    def bulk_submit(self, request):
        """Each bid validated and saved alone; refusals come back as `"<proposal_uuid>: <message>"`."""
        body = BulkBidSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entries = []  # per bid, in request order: its validated body, or why it is invalid
        for raw in body.validated_data["bids"]:
            item = BidSubmitSerializer(data=raw)
            if item.is_valid():
                entries.append(item.validated_data)
            else:
                field, messages = next(iter(item.errors.items()))
                entries.append(f"{raw.get('proposal_uuid', '')}: {field}: {messages[0]}")
        outcomes = iter(bids.bulk_submit_bids(request.user, [e for e in entries if not isinstance(e, str)]))
        submitted, errors = 0, []
        for entry in entries:
            if isinstance(entry, str):
                errors.append(entry)
            elif (refusal := next(outcomes)) is None:
                submitted += 1
            else:
                errors.append(f"{entry['proposal_uuid'].hex}: {refusal}")
        return Response({"submitted": submitted, "errors": errors or None})
