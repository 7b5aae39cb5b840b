"""Matching jobs as the API shows them (issue 13), and the body of `start-generation-job/`."""

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from referee.api.fields import DisplayField, HexUUIDField, LinkField, NameField
from referee.api.parts import CallFields
from referee.api.rows import ModelSerializer
from referee.assignments.engine_serializers import GenerateAssignmentsResponseSerializer, GenerateAssignmentsSerializer
from referee.assignments.models import MatchingJob


class AffinityJobResultSerializer(serializers.Serializer):
    computed_count = serializers.IntegerField(help_text="Affinity scores stored (proposals × reviewers).")


class AlgorithmFiguresSerializer(serializers.Serializer):
    algorithm = serializers.CharField()
    total_affinity = serializers.FloatField()
    worst_off = serializers.FloatField(allow_null=True, help_text="The lowest proposal total (held + new affinity).")
    fifth_percentile = serializers.FloatField(allow_null=True, help_text="Of the same proposal totals.")
    pairs = serializers.IntegerField()
    short_proposals = serializers.IntegerField()
    seconds = serializers.FloatField(help_text="How long the solve took.")


class WithoutRulesFiguresSerializer(AlgorithmFiguresSerializer):
    rules_cost = serializers.FloatField(help_text=(
        "Total affinity without the diversity rules minus the same algorithm's total under them."))
    rules_cost_percent = serializers.FloatField(help_text="`rules_cost` as a percentage of the total without the rules.")


class ComparisonJobResultSerializer(serializers.Serializer):
    algorithms = AlgorithmFiguresSerializer(many=True, help_text="Each algorithm's figures on the same candidates.")
    without_rules = WithoutRulesFiguresSerializer(allow_null=True, required=False, help_text=(
        "The call's algorithm solved on the same candidates without the call's diversity rules, and what the rules "
        "cost in total affinity; null when the call has no diversity rules (or in a comparison from before it was "
        "measured)."))
    reviewers_per_proposal = serializers.IntegerField(allow_null=True)
    algorithm = serializers.CharField(help_text="The call's algorithm when the comparison ran.")
    proposals = serializers.IntegerField()
    reviewers = serializers.IntegerField()
    fingerprint = serializers.DictField(child=serializers.CharField(), help_text=(
        "Digests of the inputs the solves saw, by name (as a preview keeps them)."))


class MatchingJobSerializer(CallFields, ModelSerializer):
    url = LinkField("matching-jobs", source="*")
    uuid = HexUUIDField(read_only=True)
    kind_display = DisplayField("kind", labels=MatchingJob.Kind.choices)
    progress_percentage = serializers.FloatField(read_only=True)
    processed = serializers.IntegerField(read_only=True, help_text="Steps done of `total`.")
    total = serializers.IntegerField(read_only=True, help_text="Steps of the job: 3 for affinities (texts loaded, "
                                     "pairs scored, scores written), 2 for a generation (affinities brought up to "
                                     "date; candidates, solve and write), 5 for a comparison (candidates, one "
                                     "solve per algorithm, then the call's algorithm without its diversity rules, "
                                     "skipped when it has none).")
    stage = serializers.CharField(read_only=True, help_text="The step under way, in words; empty once finished.")
    parameters = serializers.JSONField(read_only=True, help_text="A generation's request: `dry_run`, "
                                       "`proposal_uuids` (null: every open proposal), `reviewers_per_proposal`, and `seed` "
                                       "when one was given; a comparison's: `reviewers_per_proposal`.")
    result = serializers.SerializerMethodField(help_text=(
        "Null until completed. Affinities: how many scores were stored; a generation: the answer of "
        "`generate-assignments/` (with `preview_uuid` for a preview, to pass to `deploy-preview/`); a "
        "comparison: each algorithm's figures, and the call's algorithm without its diversity rules."))
    error_message = serializers.CharField(read_only=True, help_text="Why a job failed or was cancelled, in words.")
    created_by = LinkField("users")
    created_by_name = NameField(source="created_by.full_name")

    class Meta:
        model = MatchingJob
        fields = ["url", "uuid", "call", "call_uuid", "call_name", "kind", "kind_display", "state", "stage",
                  "processed", "total", "progress_percentage", "parameters", "result", "error_message",
                  "created_by", "created_by_name", "created", "started_at", "completed_at"]
        read_only_fields = fields

    @extend_schema_field(PolymorphicProxySerializer(
        component_name="MatchingJobResult", resource_type_field_name=None,
        serializers=[AffinityJobResultSerializer, GenerateAssignmentsResponseSerializer,
                     ComparisonJobResultSerializer], allow_null=True))
    def get_result(self, job):
        """A generation's result in `generate-assignments/`' very shape, rendered by its serializer."""
        if job.result is None or job.kind != MatchingJob.Kind.GENERATION:
            return job.result
        return GenerateAssignmentsResponseSerializer(job.result).data


class StartGenerationJobSerializer(GenerateAssignmentsSerializer):
    """`generate-assignments/`'s body, except that a job makes a preview unless `dry_run` is false."""

    dry_run = serializers.BooleanField(required=False, default=True)


class StartComparisonJobSerializer(GenerateAssignmentsSerializer):
    """The comparison's one setting, bounded as `generate-assignments/` bounds it: every open
    proposal is compared, and nothing is written but the job."""

    proposal_uuids = None
    dry_run = None
    seed = None  # generate-assignments' field: the comparison takes no seed

