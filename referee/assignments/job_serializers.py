"""Matching jobs as the API shows them (issue 13), and the body of `start-generation-job/`."""

from rest_framework import serializers

from referee.api.fields import DisplayField, HexUUIDField, LinkField, NameField
from referee.api.parts import CallFields
from referee.api.rows import ModelSerializer
from referee.assignments.engine_serializers import GenerateAssignmentsSerializer
from referee.assignments.models import MatchingJob


class MatchingJobSerializer(CallFields, ModelSerializer):
    url = LinkField("matching-jobs", source="*")
    uuid = HexUUIDField(read_only=True)
    kind_display = DisplayField("kind", labels=MatchingJob.Kind.choices)
    progress_percentage = serializers.FloatField(read_only=True)
    processed = serializers.IntegerField(read_only=True, help_text="Steps done of `total`.")
    total = serializers.IntegerField(read_only=True, help_text="Steps of the job: 3 for affinities (texts loaded, "
                                     "pairs scored, scores written), 2 for a generation (affinities brought up to "
                                     "date; candidates, solve and write).")
    stage = serializers.CharField(read_only=True, help_text="The step under way, in words; empty once finished.")
    parameters = serializers.JSONField(read_only=True, help_text="A generation's request: `dry_run`, "
                                       "`proposal_uuids` (null: every open proposal), `reviewers_per_proposal`.")
    result = serializers.JSONField(read_only=True, allow_null=True, help_text=(
        "Null until completed. Affinities: `{\"computed_count\"}` as `compute-affinities/` answers; a generation: "
        "the answer of `generate-assignments/` (with `preview_uuid` for a preview, to pass to `deploy-preview/`)."))
    error_message = serializers.CharField(read_only=True, help_text="Why a job failed or was cancelled, in words.")
    created_by = LinkField("users")
    created_by_name = NameField(source="created_by.full_name")

    class Meta:
        model = MatchingJob
        fields = ["url", "uuid", "call", "call_uuid", "call_name", "kind", "kind_display", "state", "stage",
                  "processed", "total", "progress_percentage", "parameters", "result", "error_message",
                  "created_by", "created_by_name", "created", "started_at", "completed_at"]
        read_only_fields = fields


class StartGenerationJobSerializer(GenerateAssignmentsSerializer):
    """`generate-assignments/`'s body, except that a job makes a preview unless `dry_run` is false."""

    dry_run = serializers.BooleanField(required=False, default=True)
