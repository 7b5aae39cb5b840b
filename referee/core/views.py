from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers
from rest_framework.decorators import action, api_view, authentication_classes, permission_classes
from rest_framework.response import Response

from referee.api.permissions import CanChangeUser, CanManageUsers
from referee.api.viewsets import RefereeViewSet
from referee.core import accounts, sign_in_limits
from referee.core.accounts import token_for
from referee.core.models import Customer, User
from referee.core.predicates import can_manage_users
from referee.core.serializers import CustomerSerializer, PasswordLoginSerializer, SelfUserSerializer, UserSerializer


@extend_schema(request=PasswordLoginSerializer, responses=inline_serializer("CoreAuthToken", {"token": serializers.CharField()}))
@api_view(["POST"])
@authentication_classes([])
@permission_classes([])
def obtain_token(request):
    """The only anonymous endpoint: username (or e-mail address) + password → the user's token,
    else 401; 429 with Retry-After once the account or the client address has spent its attempts
    (the sign-in page's counters: `core.sign_in_limits`)."""
    serializer = PasswordLoginSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    credentials = serializer.validated_data
    try:
        user = sign_in_limits.attempt(request, credentials["username"], lambda: _active(authenticate(request, **credentials)))
    except sign_in_limits.TooManyAttempts as refused:
        return Response({"detail": str(refused)}, status=429,
                        headers={"Retry-After": str(sign_in_limits.seconds_until(refused.retry_at))})
    if user is None:
        # No authenticator runs here, so DRF would turn AuthenticationFailed into 403; answer 401 directly.
        return Response({"detail": "Invalid username or password."}, status=401)
    return Response({"token": token_for(user)})


def _active(user):
    return user if user is not None and user.is_active else None


class UserViewSet(mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, RefereeViewSet):
    queryset = User.objects
    serializer_class = UserSerializer
    ordering_fields = {"username": "username", "email": "email", "created": "date_joined"}
    ordering = ["username"]
    tie_breakers = ("uuid",)
    action_permissions = {"create": [CanManageUsers], "update": [CanChangeUser], "partial_update": [CanChangeUser]}

    def get_serializer_class(self):
        if self.action in ("update", "partial_update") and not can_manage_users(self.request.user):
            return SelfUserSerializer  # names only
        return UserSerializer

    def perform_create(self, serializer):
        user = serializer.save()
        user.set_unusable_password()
        user.save(update_fields=["password"])

    def perform_update(self, serializer):
        serializer.instance = accounts.update_user(serializer.instance, actor=self.request.user,
                                                   changes=serializer.validated_data)

    @action(detail=False, methods=["get"])
    def me(self, request):
        return Response(UserSerializer(request.user, context=self.get_serializer_context()).data)


class CustomerViewSet(mixins.RetrieveModelMixin, RefereeViewSet):
    queryset = Customer.objects
    serializer_class = CustomerSerializer
    ordering_fields = {"name": "name", "created": "created"}
    ordering = ["name"]
