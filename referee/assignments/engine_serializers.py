"""Bodies and answers of the assignment-engine call actions (§3.5): compute-affinities,
affinity-matrix, generate-assignments, proposed-assignments, send-all-assignments."""

import django_filters
from rest_framework import serializers

from referee.api.fields import HexUUIDField, LinkField, NameField, RelatedUUIDField, ScoreField
from referee.api.filters import BooleanFilter
from referee.api.rows import ModelSerializer
from referee.assignments.models import ProposedAssignment
from referee.calls.models import MatchingConfiguration

MAX_UUIDS = 1000
MATRIX_DEFAULT_LIMIT = 5000
MATRIX_MAX_LIMIT = 20000
MATRIX_SCOPES = ("pool", "suggestions", "all")


# --- requests -----------------------------------------------------------------------------------

class GenerateAssignmentsSerializer(serializers.Serializer):
    """Context: `config`, the call's MatchingConfiguration (bounds `reviewers_per_proposal`)."""

    proposal_uuids = serializers.ListField(child=serializers.UUIDField(), max_length=MAX_UUIDS, required=False)
    reviewers_per_proposal = serializers.IntegerField(min_value=1, max_value=20, required=False, allow_null=True)
    dry_run = serializers.BooleanField(required=False, default=False)

    def validate_reviewers_per_proposal(self, value):
        config: MatchingConfiguration = self.context["config"]
        if value is not None and value > config.max_reviewers_per_proposal:
            raise serializers.ValidationError(
                f"Ensure this value is less than or equal to {config.max_reviewers_per_proposal} "
                "(max_reviewers_per_proposal of the call's matching configuration)."
            )
        return value


class SendAllAssignmentsSerializer(serializers.Serializer):
    batch_uuids = serializers.ListField(child=serializers.UUIDField(), max_length=MAX_UUIDS, required=False)


class AffinityMatrixQuerySerializer(serializers.Serializer):
    """Query parameters: an unknown `scope` means `pool` (§3.5); a bad `limit` is a 400."""

    scope = serializers.CharField(required=False, default="pool")
    limit = serializers.IntegerField(min_value=1, max_value=MATRIX_MAX_LIMIT, required=False,
                                     default=MATRIX_DEFAULT_LIMIT)

    def validate_scope(self, value):
        return value if value in MATRIX_SCOPES else "pool"


# --- answers ------------------------------------------------------------------------------------

class ComputeAffinitiesResponseSerializer(serializers.Serializer):
    computed_count = serializers.IntegerField()
    message = serializers.CharField()


class GenerationSkipSerializer(serializers.Serializer):
    proposal_uuid = serializers.CharField()
    proposal_name = serializers.CharField(allow_blank=True)
    reason = serializers.CharField()
    required = serializers.IntegerField()
    assigned = serializers.IntegerField()


class UnmetMinimumSerializer(serializers.Serializer):
    pool_entry_uuid = serializers.CharField()
    required = serializers.IntegerField()
    assigned = serializers.IntegerField()


class GenerateAssignmentsResponseSerializer(serializers.Serializer):
    """Client `GenerateAssignmentsResponse` + extras `total_affinity`, `min_proposal_affinity`
    (null when no proposal wanted reviewers) and `unmet_reviewer_minimums`."""

    batches_created = serializers.IntegerField()
    items_created = serializers.IntegerField()
    proposals_processed = serializers.IntegerField()
    skipped_proposals = GenerationSkipSerializer(many=True)
    total_affinity = ScoreField()
    min_proposal_affinity = ScoreField(allow_null=True)
    unmet_reviewer_minimums = UnmetMinimumSerializer(many=True)


class SendAllAssignmentsResponseSerializer(serializers.Serializer):
    batches_sent = serializers.IntegerField()
    skipped = serializers.IntegerField()


class AffinityMatrixEntrySerializer(serializers.Serializer):
    """Client `AffinityMatrixEntry` (+ extra `reviewer_pool_entry_uuid`). Documents the shape for
    OpenAPI; rows are rendered by `engine_actions.matrix_entry` (up to 20,000 of them)."""

    uuid = serializers.CharField()
    reviewer_uuid = serializers.CharField()
    reviewer_name = serializers.CharField()
    reviewer_pool_entry_uuid = serializers.CharField()
    proposal_uuid = serializers.CharField()
    proposal_name = serializers.CharField()
    affinity_score = serializers.FloatField()
    keyword_score = serializers.FloatField(allow_null=True)
    text_score = serializers.FloatField(allow_null=True)
    has_conflict = serializers.BooleanField()
    coi_type = serializers.CharField(allow_null=True)
    coi_severity = serializers.CharField(allow_null=True)
    coi_status = serializers.CharField(allow_null=True)
    source = serializers.CharField()


class AffinityMatrixResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = AffinityMatrixEntrySerializer(many=True)


class ProposedAssignmentSerializer(ModelSerializer):
    """Client `ProposedAssignment` (+ extra `call_uuid`). `reviewer` is the reviewer profile."""

    url = LinkField("proposed-assignments", source="*")
    uuid = HexUUIDField(read_only=True)
    call = LinkField("proposal-protected-calls")
    call_uuid = RelatedUUIDField(source="call")
    reviewer = LinkField("reviewer-profiles")
    reviewer_uuid = RelatedUUIDField(source="reviewer")
    reviewer_name = NameField(source="reviewer.user.full_name", default="")
    proposal = LinkField("proposal-proposals")
    proposal_uuid = RelatedUUIDField(source="proposal")
    proposal_name = NameField(source="proposal.name", default="")
    affinity_score = ScoreField(read_only=True)
    deployed_by = LinkField("users")
    deployed_by_name = NameField(source="deployed_by.full_name", default="")

    class Meta:
        model = ProposedAssignment
        fields = ["url", "uuid", "call", "call_uuid", "reviewer", "reviewer_uuid", "reviewer_name", "proposal",
                  "proposal_uuid", "proposal_name", "affinity_score", "algorithm_used", "rank", "is_deployed",
                  "deployed_at", "deployed_by", "deployed_by_name", "created"]
        read_only_fields = fields


def proposed_queryset(queryset=None):
    """Rows with everything the serializer follows, in the contract's order: by proposal name,
    then rank (proposal id keeps two equally named proposals apart)."""
    queryset = ProposedAssignment.objects.all() if queryset is None else queryset
    return queryset.select_related("call", "reviewer__user", "proposal", "deployed_by").order_by(
        "proposal__name", "proposal_id", "rank", "uuid"
    )


class ProposedAssignmentFilter(django_filters.FilterSet):
    is_deployed = BooleanFilter(field_name="is_deployed")

    class Meta:
        model = ProposedAssignment
        fields = []
