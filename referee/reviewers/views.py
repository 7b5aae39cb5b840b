"""Reviewer profiles with their nested rows (§3.10) and call pool entries (§3.6).

Thin HTTP translation: visibility from the querysets, roles from permissions, every write through
one function of `referee.reviewers.domain`."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from referee.api.permissions import CanEditProfile, CanManagePoolEntry, CanRespondToInvitation
from referee.api.queries import person_columns
from referee.api.viewsets import RefereeViewSet, parse_uuid
from referee.reviewers import domain
from referee.reviewers.filters import POOL_DEFAULT_ORDERING, POOL_ORDERING, USER_NAME, PoolFilter, ProfileFilter
from referee.reviewers.models import (
    CallReviewerPool,
    ReviewerAffiliation,
    ReviewerExpertise,
    ReviewerProfile,
    ReviewerPublication,
)
from referee.reviewers.serializers_pool import (
    CallReviewerPoolSerializer,
    DeclaredConflictSerializer,
    DetailSerializer,
    ForceAcceptSerializer,
    InvitationAcceptResponseSerializer,
    InvitationDeclineSerializer,
    PoolUpdateSerializer,
    render_entries,
    with_pool_details,
)
from referee.reviewers.serializers_profiles import (
    ReviewerAffiliationSerializer,
    ReviewerExpertiseSerializer,
    ReviewerProfileSerializer,
    ReviewerPublicationSerializer,
)

PROFILE_NOT_FOUND = "Reviewer profile not found."
MAX_DECLARED_CONFLICTS = 100


WRITES = ("create", "update", "partial_update", "destroy")


# --- profiles ---------------------------------------------------------------------------------

# A listed profile's columns and its user's that it shows (a user's password, flags and dates
# were read and converted for each of a page's 100 rows for nothing); the detail reads whole rows.
LIST_COLUMNS = (
    "uuid", "created", "modified", "user", "orcid_id", "biography", "alternative_names", "available_for_reviews",
    "career_stage", "is_published", "published_at",
    *person_columns("user"), "user__email",
)


class ReviewerProfileViewSet(mixins.RetrieveModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin,
                             RefereeViewSet):
    """POST `/` is not part of the contract (profiles are created through `me/`): 405."""

    queryset = ReviewerProfile.objects
    serializer_class = ReviewerProfileSerializer
    filterset_class = ProfileFilter
    ordering_fields = {"user_name": USER_NAME, "user_email": "user__email", "created": "created"}
    ordering = ["-created"]
    action_permissions = {name: [CanEditProfile] for name in WRITES}

    def get_queryset(self):
        queryset = super().get_queryset().select_related("user")
        return queryset.only(*LIST_COLUMNS) if self.action == "list" else queryset

    def _render(self, profile):
        fresh = ReviewerProfile.objects.select_related("user").get(pk=profile.pk)
        return Response(ReviewerProfileSerializer(fresh, context=self.get_serializer_context()).data)

    def update(self, request, *args, partial=False, **kwargs):
        profile = self.get_object()
        serializer = self.get_serializer(profile, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return self._render(domain.update_profile(profile, serializer.validated_data, actor=request.user))

    def destroy(self, request, *args, **kwargs):
        domain.delete_profile(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ReviewerProfileSerializer, responses=ReviewerProfileSerializer)
    @action(detail=False, methods=["get", "post", "patch"])
    def me(self, request):
        """GET the caller's profile; POST creates or partially updates it (200); PATCH updates it."""
        profile = ReviewerProfile.objects.filter(user=request.user).first()
        if profile is None and request.method != "POST":
            raise NotFound(PROFILE_NOT_FOUND)
        if request.method == "GET":
            return self._render(profile)
        serializer = ReviewerProfileSerializer(profile, data=request.data, partial=True,
                                               context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        if request.method == "POST":
            return self._render(domain.save_own_profile(request.user, serializer.validated_data))
        return self._render(domain.update_profile(profile, serializer.validated_data, actor=request.user))

    @extend_schema(request=None, responses=inline_serializer("ReviewerProfilePublishResponse", {
        "is_published": serializers.BooleanField(), "published_at": serializers.DateTimeField(allow_null=True),
        "detail": serializers.CharField()}))
    @action(detail=False, methods=["post"])
    def publish(self, request):
        profile = domain.set_published(request.user, True)
        return Response({"is_published": True, "published_at": serializers.DateTimeField().to_representation(
            profile.published_at), "detail": "Reviewer profile published."})

    @extend_schema(request=None, responses=inline_serializer("ReviewerProfileUnpublishResponse", {
        "is_published": serializers.BooleanField(), "detail": serializers.CharField()}))
    @action(detail=False, methods=["post"])
    def unpublish(self, request):
        domain.set_published(request.user, False)
        return Response({"is_published": False, "detail": "Reviewer profile unpublished."})


@extend_schema(parameters=[OpenApiParameter("reviewer_profile_uuid", OpenApiTypes.UUID, OpenApiParameter.PATH)])
class ProfileItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                         mixins.UpdateModelMixin, mixins.DestroyModelMixin, RefereeViewSet):
    """Base of `/api/reviewer-profiles/{reviewer_profile_uuid}/<rows>/`: the parent profile must be
    visible (404), writes need its owner or staff (403), then the body is validated (400)."""

    action_permissions = {name: [CanEditProfile] for name in WRITES}
    ordering_fields = None  # the model's own order (primary first, keywords alphabetical, ...)

    def lookup_url_kwarg_present(self) -> bool:
        # Every route here names its parent: defer support's write refusal to the object check,
        # so that an unknown parent answers 404 before 403 (§1).
        return True

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        key = parse_uuid(self.kwargs["reviewer_profile_uuid"])
        self.profile = ReviewerProfile.objects.visible_to(request.user).filter(uuid=key).first()
        if self.profile is None:
            raise NotFound()
        if request.method not in SAFE_METHODS:
            self.check_object_permissions(request, self.profile)

    def check_object_permissions(self, request, obj):
        # A row is its profile's: the same roles change it as change the profile.
        super().check_object_permissions(request, self.profile)

    def get_queryset(self):
        return super().get_queryset().filter(profile=self.profile)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "profile": getattr(self, "profile", None)}

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = domain.create_profile_item(self.profile, self.queryset.model, serializer.validated_data,
                                         actor=request.user)
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        obj = self.get_object()
        serializer = self.get_serializer(obj, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return Response(self.get_serializer(domain.update_profile_item(obj, serializer.validated_data,
                                                                       actor=request.user)).data)

    def destroy(self, request, *args, **kwargs):
        domain.delete_profile_item(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AffiliationViewSet(ProfileItemViewSet):
    queryset = ReviewerAffiliation.objects.select_related("organization")
    serializer_class = ReviewerAffiliationSerializer


class ExpertiseViewSet(ProfileItemViewSet):
    queryset = ReviewerExpertise.objects.all()
    serializer_class = ReviewerExpertiseSerializer


class PublicationViewSet(ProfileItemViewSet):
    queryset = ReviewerPublication.objects.all()
    serializer_class = ReviewerPublicationSerializer


# --- pool -------------------------------------------------------------------------------------

def refusal(code: str, message: str) -> Response:
    """Accept refusals carry `error` and `message` besides `detail` (the client parses them)."""
    return Response({"detail": message, "error": code, "message": message}, status=status.HTTP_400_BAD_REQUEST)


def first_error(errors) -> str:
    """`<path>: <message>` of the first error in DRF's nested errors (the refusal has one message)."""
    if isinstance(errors, dict):
        key, value = next((k, v) for k, v in errors.items() if v)
        return f"{key}: {first_error(value)}"
    if isinstance(errors, list):
        return first_error(next(e for e in errors if e))
    return str(errors)


class CallReviewerPoolViewSet(mixins.RetrieveModelMixin, RefereeViewSet):
    queryset = CallReviewerPool.objects
    serializer_class = CallReviewerPoolSerializer
    filterset_class = PoolFilter
    ordering_fields = POOL_ORDERING
    ordering = POOL_DEFAULT_ORDERING
    counted_list = True
    action_permissions = {
        "partial_update": [CanManagePoolEntry],
        "force_accept": [CanManagePoolEntry],
        "resend_invitation": [CanManagePoolEntry],
        "accept": [CanRespondToInvitation],
        "decline": [CanRespondToInvitation],
    }

    def get_queryset(self):
        return with_pool_details(super().get_queryset())

    def _render(self, entry):
        return Response(render_entries([entry], self.get_serializer_context())[0])

    @extend_schema(request=PoolUpdateSerializer, responses=PoolUpdateSerializer)
    def partial_update(self, request, *args, **kwargs):
        entry = self.get_object()
        data = self.validated(PoolUpdateSerializer, partial=True)
        if "max_assignments" in data:
            entry = domain.update_max_assignments(
                entry, actor=request.user, max_assignments=data["max_assignments"])
        return Response({"max_assignments": entry.max_assignments})

    @extend_schema(request=DeclaredConflictSerializer(many=True), responses={
        200: InvitationAcceptResponseSerializer,
        400: inline_serializer("InvitationAcceptError", {
            "detail": serializers.CharField(), "error": serializers.CharField(), "message": serializers.CharField()}),
    })
    @action(detail=True, methods=["post"])
    def accept(self, request, *args, **kwargs):
        """Self-only. The body is an array (≤100) of declared conflicts, each recorded as a pending
        self-disclosed COI of the call."""
        entry = self.get_object()
        try:
            declarations = self._declarations(request)
            declared = domain.accept_invitation(entry, actor=request.user, declarations=declarations)
        except domain.InvitationRefusal as exc:
            return refusal(exc.code, exc.message)
        return Response({"detail": "Invitation accepted successfully.", "declared_conflicts": [u.hex for u in declared]})

    @staticmethod
    def _declarations(request) -> list:
        try:
            data = request.data
        except ParseError as exc:
            raise domain.InvitationRefusal("invalid_request", str(exc.detail)) from None
        if data in ({}, None):  # no body: nothing declared
            data = []
        if not isinstance(data, list):
            raise domain.InvitationRefusal("invalid_request", "Expected a JSON array of declared conflicts.")
        if len(data) > MAX_DECLARED_CONFLICTS:
            raise domain.InvitationRefusal(
                "invalid_request", f"At most {MAX_DECLARED_CONFLICTS} conflicts can be declared.")
        serializer = DeclaredConflictSerializer(data=data, many=True)
        if not serializer.is_valid():
            raise domain.InvitationRefusal("invalid_request", "Conflict " + first_error(serializer.errors))
        return serializer.validated_data

    @extend_schema(request=InvitationDeclineSerializer, responses=DetailSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, *args, **kwargs):
        entry = self.get_object()
        data = self.validated(InvitationDeclineSerializer)
        domain.decline_invitation(entry, actor=request.user, reason=data["reason"])
        return Response({"detail": "Invitation declined."})

    @extend_schema(request=ForceAcceptSerializer, responses=CallReviewerPoolSerializer)
    @action(detail=True, methods=["post"], url_path="force-accept")
    def force_accept(self, request, *args, **kwargs):
        entry = self.get_object()
        data = self.validated(ForceAcceptSerializer)
        reason = data["override_reason"]
        return self._render(domain.force_accept(entry, actor=request.user, reason=reason))

    @extend_schema(request=None, responses=CallReviewerPoolSerializer)
    @action(detail=True, methods=["post"], url_path="resend-invitation")
    def resend_invitation(self, request, *args, **kwargs):
        return self._render(domain.resend_invitation(self.get_object(), actor=request.user))
