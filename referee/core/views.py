from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers
from rest_framework.decorators import action, api_view, authentication_classes, permission_classes
from rest_framework.response import Response

from referee.api.permissions import CanChangeUser, CanManageUsers
from referee.api.viewsets import RefereeViewSet
from referee.core import accounts
from referee.core.accounts import token_for
from referee.core.models import Customer, User
from referee.core.predicates import can_manage_users
from referee.core.serializers import CustomerSerializer, PasswordLoginSerializer, SelfUserSerializer, UserSerializer


@extend_schema(request=PasswordLoginSerializer, responses=inline_serializer("CoreAuthToken", {"token": serializers.CharField()}))
@api_view(["POST"])
@authentication_classes([])
@permission_classes([])
def obtain_token(request):
    """The only anonymous endpoint: username + password → the user's token, else 401."""
    serializer = PasswordLoginSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    user = authenticate(request, **serializer.validated_data)
    if user is None or not user.is_active:
        # No authenticator runs here, so DRF would turn AuthenticationFailed into 403; answer 401 directly.
        return Response({"detail": "Invalid username or password."}, status=401)
    return Response({"token": token_for(user)})


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
