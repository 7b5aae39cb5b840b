"""Conflicts of interest and detection jobs as the client models them (§3.7, §3.8), and the
bodies of their actions (§3.5, §3.7)."""

from rest_framework import serializers

from referee.api.columns import reads
from referee.api.fields import DisplayField, HexUUIDField, LinkField, NameField, RelatedUUIDField
from referee.api.parts import CallFields, ProposalFields, ReviewerFields
from referee.api.queries import person_columns
from referee.api.rows import ModelSerializer
from referee.calls.models import COI_TYPES
from referee.conflicts.domain import is_blocking
from referee.conflicts.enums import ConflictStatus
from referee.conflicts.models import COIDetectionJob, ConflictOfInterest

MAX_NOTES = 5000
MAX_PLAN = 10000


# What a listed conflict shows of its row and its seven related rows (of their 114 columns, the
# proposal's description and the profile's biography among them).
LIST_COLUMNS = (
    *CallFields.COLUMNS, *ReviewerFields.COLUMNS, *ProposalFields.COLUMNS, "proposal__round__uuid",
    "proposal__round__name", "uuid", "created", "coi_type", "severity", "detection_method", "detected_at",
    "evidence_description", "evidence_data", "status", "rule", "reviewed_at", "review_notes", "management_plan",
    *person_columns("reviewed_by"), *person_columns("conflicting_user"), "conflicting_organization__uuid",
    "conflicting_organization__name",
)


def with_details(queryset, listed: bool = False):
    """Everything the COI serializer reads, in the list's one query (only that for a list)."""
    queryset = queryset.select_related(
        "reviewer__user", "proposal__round", "call", "reviewed_by", "conflicting_user", "conflicting_organization"
    )
    return queryset.only(*LIST_COLUMNS) if listed else queryset


class ConflictOfInterestSerializer(CallFields, ReviewerFields, ProposalFields, ModelSerializer):
    """Client `ConflictOfInterest` + extra `rule`, `is_blocking` (§5.8)."""

    url = LinkField("conflicts-of-interest", source="*")
    uuid = HexUUIDField(read_only=True)
    proposal_uuid = RelatedUUIDField(source="proposal", nil=True)
    round_uuid = RelatedUUIDField(source="proposal.round", nil=True)
    round_name = NameField(source="proposal.round.name")
    coi_type_display = DisplayField("coi_type", labels=COI_TYPES)
    severity_display = DisplayField("severity")
    status_display = DisplayField("status", labels=ConflictOfInterest.Status.choices)
    reviewed_by = LinkField("users")
    reviewed_by_name = NameField(source="reviewed_by.full_name")
    conflicting_user = LinkField("users")
    conflicting_user_name = NameField(source="conflicting_user.full_name")
    conflicting_organization = LinkField("customers")
    conflicting_organization_name = NameField(source="conflicting_organization.name")
    is_blocking = serializers.SerializerMethodField()

    class Meta:
        model = ConflictOfInterest
        fields = ["url", "uuid", "reviewer", "reviewer_uuid", "reviewer_name", "proposal", "proposal_uuid",
                  "proposal_name", "round_uuid", "round_name", "call", "call_uuid", "call_name", "coi_type",
                  "coi_type_display", "severity", "severity_display", "detection_method", "detected_at",
                  "evidence_description", "evidence_data", "status", "status_display", "reviewed_by",
                  "reviewed_by_name", "reviewed_at", "conflicting_user", "conflicting_user_name",
                  "conflicting_organization", "conflicting_organization_name", "created", "review_notes",
                  "management_plan", "rule", "is_blocking"]
        read_only_fields = fields

    @reads("status", "rule")
    def get_is_blocking(self, conflict) -> bool:
        return is_blocking(conflict)


class ConflictNotesSerializer(serializers.Serializer):
    """PUT/PATCH body: only the texts; any other key (`status` too) is ignored (§3.7)."""

    review_notes = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTES)
    management_plan = serializers.CharField(required=False, allow_blank=True, max_length=MAX_PLAN)


def status_body(to_status: str, *, plan: bool):
    """Body of `dismiss/`, `waive/`, `recuse/`: `status`, if sent, must name the action's target."""
    fields = {
        "status": serializers.ChoiceField(choices=[to_status], required=False),
        "review_notes": serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTES),
    }
    if plan:
        fields["management_plan"] = serializers.CharField(required=False, allow_blank=True, max_length=MAX_PLAN)
    name = f"COI{to_status.capitalize()}Request"
    return type(name, (serializers.Serializer,), fields)


DismissSerializer = status_body(ConflictStatus.DISMISSED, plan=True)
WaiveSerializer = status_body(ConflictStatus.WAIVED, plan=True)
RecuseSerializer = status_body(ConflictStatus.RECUSED, plan=False)


class DetectorResultSerializer(serializers.Serializer):
    """One detector's part of a detection job's `result`."""

    enabled = serializers.BooleanField(help_text="Off when the call's COI configuration switches the detector off.")
    pairs_checked = serializers.IntegerField(help_text="Reviewer × proposal pairs the detector checked.")
    found = serializers.IntegerField(help_text="Conflicts it found, including those already on record.")
    new_conflicts = serializers.IntegerField(help_text="Conflicts recorded by this run (never recorded twice).")
    counts = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="What it saw, by reason: e.g. `before_lookback` (co-authorships older than the look-back), "
                  "`first_names_differ`, `orcids_differ`, `below_threshold`, `ended_before_lookback`, "
                  "`reviewers_without_publications`, `publications_without_coauthors`.",
    )
    notes = serializers.ListField(child=serializers.CharField(),
                                  help_text="Why it may have found nothing or little, in words.")


class DetectorResultsSerializer(serializers.Serializer):
    named_personnel = DetectorResultSerializer()
    institutional = DetectorResultSerializer()
    coauthorship = DetectorResultSerializer()


class DetectionResultSerializer(serializers.Serializer):
    """(addition) What a detection job checked and why it may have found nothing; null until it runs."""

    notes = serializers.ListField(child=serializers.CharField(),
                                  help_text="Why the run had few or no pairs to check, in words.")
    detectors = DetectorResultsSerializer()


class COIDetectionJobSerializer(CallFields, ModelSerializer):
    """Client `COIDetectionJob` + extra `config_snapshot` and `result`."""

    url = LinkField("coi-detection-jobs", source="*")
    uuid = HexUUIDField(read_only=True)
    progress_percentage = serializers.FloatField(read_only=True)
    result = DetectionResultSerializer(read_only=True, allow_null=True)

    class Meta:
        model = COIDetectionJob
        fields = ["url", "uuid", "call", "call_uuid", "call_name", "job_type", "state", "total_pairs",
                  "processed_pairs", "progress_percentage", "conflicts_found", "started_at", "completed_at",
                  "error_message", "created", "config_snapshot", "result"]
        read_only_fields = fields


class DetectConflictsSerializer(serializers.Serializer):
    """`detect-conflicts/` body: a full run unless `incremental` is asked for."""

    job_type = serializers.ChoiceField(
        choices=[COIDetectionJob.JobType.FULL_CALL, COIDetectionJob.JobType.INCREMENTAL],
        default=COIDetectionJob.JobType.FULL_CALL,
    )
