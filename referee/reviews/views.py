"""`/api/proposal-reviews/` (§3.11): thin HTTP translation around `referee.reviews.domain`.

Visible to the reviewer, the call's managers and staff/support. Methods: list, detail, POST
(managers' direct creation), PATCH (the reviewer), `submit/` (the reviewer), `reject/` (the
reviewer or a manager); PUT and DELETE are not listed by the contract, so they answer 405."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from referee.api.permissions import CanCreateReviewFor, CanCreateReviews, CanRejectReview, CanWriteReview, require
from referee.api.viewsets import RefereeViewSet
from referee.calls.models import Proposal
from referee.core.models import User
from referee.reviews import domain
from referee.reviews.filters import REVIEW_ORDERING, ReviewFilter
from referee.reviews.models import Review
from referee.reviews.serializers import (
    ProposalReviewSerializer,
    ReviewCreateSerializer,
    ReviewSubmitSerializer,
    ReviewUpdateSerializer,
    with_details,
)


class ProposalReviewViewSet(mixins.RetrieveModelMixin, RefereeViewSet):
    queryset = Review.objects
    serializer_class = ProposalReviewSerializer
    filterset_class = ReviewFilter
    ordering_fields = REVIEW_ORDERING
    ordering = ["-created"]
    counted_list = True
    action_permissions = {
        # Creating is refused before any validation to whoever manages no call (§1).
        "create": [CanCreateReviews],
        "partial_update": [CanWriteReview], "submit": [CanWriteReview], "reject": [CanRejectReview],
    }

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action in ("list", "retrieve"):
            return with_details(queryset)
        return queryset.select_related("proposal")  # actions re-read the review under lock

    def _render(self, review, code=status.HTTP_200_OK) -> Response:
        fresh = with_details(Review.objects).get(pk=review.pk)
        return Response(ProposalReviewSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def _body(self, serializer_class) -> dict:
        body = serializer_class(data=self.request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data

    @extend_schema(request=ReviewCreateSerializer, responses={201: ProposalReviewSerializer})
    def create(self, request, *args, **kwargs):
        user = request.user
        data = self._body(ReviewCreateSerializer)
        proposal = Proposal.objects.visible_to(user).filter(uuid=data["proposal"]).select_related("call").first()
        if proposal is None:
            raise ValidationError({"proposal": ["Proposal not found."]})
        require(request, CanCreateReviewFor, proposal)
        reviewer = User.objects.filter(uuid=data["reviewer"], is_active=True).first()
        if reviewer is None:
            raise ValidationError({"reviewer": ["User not found."]})
        review = domain.create_review(proposal, reviewer, actor=user,
                                      override_workload_limit=data["override_workload_limit"])
        return self._render(review, status.HTTP_201_CREATED)

    @extend_schema(request=ReviewUpdateSerializer, responses=ProposalReviewSerializer)
    def partial_update(self, request, *args, **kwargs):
        review = self.get_object()
        return self._render(domain.update_review(review, actor=request.user, **self._body(ReviewUpdateSerializer)))

    @extend_schema(request=ReviewSubmitSerializer, responses=ProposalReviewSerializer,
                   operation_id="proposal_reviews_submit")
    @action(detail=True, methods=["post"])
    def submit(self, request, uuid=None):
        review = self.get_object()
        return self._render(domain.submit_review(review, actor=request.user, **self._body(ReviewSubmitSerializer)))

    @extend_schema(request=None, responses=ProposalReviewSerializer, operation_id="proposal_reviews_reject")
    @action(detail=True, methods=["post"])
    def reject(self, request, uuid=None):
        return self._render(domain.reject_review(self.get_object(), actor=request.user))
