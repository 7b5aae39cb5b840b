from rest_framework import serializers

from referee.api.fields import EmailOrBlankField, HexUUIDField, LinkField
from referee.api.rows import ModelSerializer
from referee.core.accounts import token_for
from referee.core.models import Customer, User


class UserSerializer(ModelSerializer):
    url = LinkField("users", source="*")
    uuid = HexUUIDField(read_only=True)
    full_name = serializers.CharField(read_only=True)
    email = EmailOrBlankField(max_length=254, required=False)
    token = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["url", "uuid", "username", "full_name", "first_name", "last_name", "email",
                  "is_staff", "is_support", "is_active", "token"]

    def get_token(self, user) -> str:
        """Shown to its owner only, staff included (`referee token` is the staff's way, §3.12)."""
        return token_for(user) if self.context["request"].user.pk == user.pk else ""


class SelfUserSerializer(UserSerializer):
    """What a non-staff user may change about themselves: their names."""

    email = EmailOrBlankField(read_only=True)  # declared fields ignore Meta.read_only_fields

    class Meta(UserSerializer.Meta):
        read_only_fields = ["username", "email", "is_staff", "is_support", "is_active"]


class CustomerSerializer(ModelSerializer):
    url = LinkField("customers", source="*")
    uuid = HexUUIDField(read_only=True)

    class Meta:
        model = Customer
        fields = ["url", "uuid", "name", "country"]


class PasswordLoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
