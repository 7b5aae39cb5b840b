"""The three per-call configurations (§2, §3.4, §3.5).

Ranges come from the model validators (field errors); rules over several fields are checked by
the domain on the merged, locked state."""

from rest_framework import serializers

from referee.api.fields import HexUUIDField, LinkField
from referee.api.rows import ModelSerializer
from referee.calls.models import (
    COI_TYPE_CODES,
    CallAssignmentConfiguration,
    CallCOIConfiguration,
    MatchingConfiguration,
)

CALL_KEYS = ["uuid", "call_uuid", "call_name", "created", "modified"]


class _ConfigurationSerializer(ModelSerializer):
    uuid = HexUUIDField(read_only=True)
    call_uuid = HexUUIDField(source="call.uuid", read_only=True)
    call_name = serializers.CharField(source="call.name", read_only=True)


class AssignmentConfigurationSerializer(_ConfigurationSerializer):
    """Client `CallAssignmentConfiguration`."""

    url = LinkField("call-assignment-configurations", source="*")
    call = LinkField("proposal-protected-calls")

    class Meta:
        model = CallAssignmentConfiguration
        fields = ["url", *CALL_KEYS, "call", "auto_reassign_on_decline", "max_auto_reassign_attempts",
                  "assignment_expiration_days", "send_reminder_before_expiry_days"]
        read_only_fields = ["created", "modified"]


class MatchingConfigurationSerializer(_ConfigurationSerializer):
    """Client `MatchingConfiguration` (no `url`: it lives under its call)."""

    class Meta:
        model = MatchingConfiguration
        fields = [*CALL_KEYS, "affinity_method", "keyword_weight", "text_weight", "min_reviewers_per_proposal",
                  "max_reviewers_per_proposal", "min_proposals_per_reviewer", "max_proposals_per_reviewer",
                  "algorithm", "min_affinity_threshold", "use_reviewer_bids", "bid_weight",
                  "max_reviewers_per_institution", "max_reviewers_per_country",
                  "min_reviewers_from_other_countries", "min_reviewers_per_career_stage", "max_assignment_probability"]
        read_only_fields = ["created", "modified"]


class COITypeListField(serializers.ListField):
    """A list of COI type codes; an unknown code is one flat field error (§3.5), duplicates collapse."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.ChoiceField(choices=COI_TYPE_CODES), max_length=100, **kwargs)

    def run_child_validation(self, data):
        unknown = [str(code) for code in data if not isinstance(code, str) or code not in COI_TYPE_CODES]
        if unknown:
            raise serializers.ValidationError(f'"{unknown[0]}" is not a valid conflict of interest type.')
        return list(dict.fromkeys(data))


class COIConfigurationSerializer(_ConfigurationSerializer):
    """Client `CallCOIConfiguration`."""

    call = LinkField("proposal-protected-calls")
    recusal_required_types = COITypeListField(required=False)
    management_allowed_types = COITypeListField(required=False)
    disclosure_only_types = COITypeListField(required=False)

    class Meta:
        model = CallCOIConfiguration
        fields = [*CALL_KEYS, "call", "coauthorship_lookback_years", "coauthorship_threshold_papers",
                  "institutional_lookback_years", "include_same_department", "include_same_institution",
                  "recusal_required_types", "management_allowed_types", "disclosure_only_types",
                  "auto_detect_coauthorship", "auto_detect_institutional", "auto_detect_named_personnel",
                  "invitation_proposal_disclosure"]
        read_only_fields = ["created", "modified"]
