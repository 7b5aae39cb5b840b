"""Calls (client `ProtectedCall`) and rounds (client `NestedRound`, `ProtectedRound`), §3.12."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from referee.api.fields import HexUUIDField, LinkField, NameField, RelatedUUIDField, absolute_link
from referee.api.rows import ModelSerializer
from referee.calls.models import Call, Round
from referee.calls.serializers.refs import RefField, UserRefListField
from referee.core.models import Customer


class NestedRoundSerializer(ModelSerializer):
    """Client `NestedRound`: a round inside a call or a proposal."""

    uuid = HexUUIDField(read_only=True)
    status = serializers.ChoiceField(choices=Round.Status.choices, read_only=True)

    class Meta:
        model = Round
        fields = ["uuid", "slug", "name", "start_time", "cutoff_time", "status", "review_duration_in_days"]
        read_only_fields = fields


class CallSerializer(ModelSerializer):
    url = LinkField("proposal-protected-calls", source="*")
    uuid = HexUUIDField(read_only=True)
    slug = serializers.SlugField(max_length=255, required=False, validators=[UniqueValidator(Call.objects.all())])
    manager = RefField(Customer.objects, "customers", "Customer", required=False, allow_null=True)
    manager_uuid = RelatedUUIDField(nil=True, source="manager")
    manager_name = NameField(source="manager.name", default="")  # default: DRF skips a None hop otherwise
    rounds = NestedRoundSerializer(many=True, read_only=True)
    managers = UserRefListField(required=False)

    class Meta:
        model = Call
        fields = [
            "url", "uuid", "created", "slug", "name", "description", "state",
            "manager", "manager_uuid", "manager_name", "rounds", "managers",
        ]
        read_only_fields = ["created"]
        extra_kwargs = {"description": {"required": False}, "state": {"required": False}}


# Keys of client `ProtectedRound` this service does not model: neutral values (§3.12).
ROUND_NEUTRAL = {
    "lifecycle_state": None,
    "evaluation_started_at": None,
    "deciding_started_at": None,
    "results_published_at": None,
    "closed_at": None,
    "proposals": [],
    "results_published_by_name": None,
    "held_decisions_count": None,
    "results_forced_reason": None,
    "adopted_at": None,
    "adoption_note": None,
    "adoption_document": None,
}


class RoundSerializer(ModelSerializer):
    """Client `ProtectedRound`; written by call managers (`start_time < cutoff_time` is checked by
    the domain on the merged state, so a PATCH of one time is judged against the other)."""

    url = serializers.SerializerMethodField()
    uuid = HexUUIDField(read_only=True)
    slug = serializers.SlugField(max_length=255, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=Round.Status.choices, read_only=True)
    call_uuid = HexUUIDField(source="call.uuid", read_only=True)
    has_proposals = serializers.SerializerMethodField()
    review_duration_in_days = serializers.IntegerField(min_value=1, max_value=3650, allow_null=True, required=False)

    class Meta:
        model = Round
        fields = [
            "url", "uuid", "slug", "name", "start_time", "cutoff_time", "status",
            "review_duration_in_days", "has_proposals", "call_uuid",
        ]
        extra_kwargs = {"name": {"required": False}}

    @extend_schema_field({"type": "string", "format": "uri"})
    def get_url(self, round_) -> str:
        collection = f"proposal-protected-calls/{round_.call.uuid.hex}/rounds"
        return absolute_link(self.context.get("request"), collection, round_.uuid)

    def get_has_proposals(self, round_) -> bool:
        annotated = getattr(round_, "has_proposals", None)
        return annotated if annotated is not None else round_.proposals.exists()

    def to_representation(self, instance):
        return {**super().to_representation(instance), **ROUND_NEUTRAL}
