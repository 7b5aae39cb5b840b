"""Bodies and answers of the assignment-engine call actions (§3.5): compute-affinities,
affinity-matrix, generate-assignments, deploy-preview, proposed-assignments, send-all-assignments."""

import django_filters
from rest_framework import serializers

from referee.api.fields import HexUUIDField, LinkField, NameField, ScoreField
from referee.api.filters import BooleanFilter
from referee.api.parts import CallFields, ProposalFields, ReviewerFields
from referee.api.queries import person_columns
from referee.api.rows import ModelSerializer
from referee.assignments.affinities import AFFINITY_SCALE, RAW_SIMILARITY
from referee.assignments.candidates import RULES
from referee.assignments.generation import SEED_BITS
from referee.assignments.models import ProposedAssignment
from referee.assignments.shortfalls import POOL_SIZE
from referee.calls.models import MatchingConfiguration

MAX_UUIDS = 1000
MATRIX_SCOPES = ("pool", "suggestions", "all")
SEED_WITHOUT_CAP = ("A seed only chooses the draw of a randomized generation: set max_assignment_probability in the "
                    "call's matching configuration first.")


# --- requests -----------------------------------------------------------------------------------

class GenerateAssignmentsSerializer(serializers.Serializer):
    """Context: `config`, the call's MatchingConfiguration (bounds `reviewers_per_proposal`)."""

    proposal_uuids = serializers.ListField(child=serializers.UUIDField(), max_length=MAX_UUIDS, required=False)
    reviewers_per_proposal = serializers.IntegerField(min_value=1, max_value=20, required=False, allow_null=True)
    dry_run = serializers.BooleanField(required=False, default=False)
    seed = serializers.IntegerField(
        min_value=0, max_value=2**SEED_BITS - 1, required=False, allow_null=True,
        help_text="Randomized generation only (max_assignment_probability set): draw with this seed, e.g. the "
                  "`seed` of an earlier generation, which gives the same assignment from the same inputs. Null or "
                  "absent: a new seed, reported in the answer.")

    def validate_seed(self, value):
        if value is not None and self.context["config"].max_assignment_probability is None:
            raise serializers.ValidationError(SEED_WITHOUT_CAP)
        return value

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


class DeployPreviewSerializer(serializers.Serializer):
    preview_uuid = serializers.UUIDField(help_text="`preview_uuid` of the dry run to deploy.")


class AffinityMatrixQuerySerializer(serializers.Serializer):
    """Query parameters besides page/page_size: an unknown `scope` means `pool` (§3.5); a bad
    uuid is a 400 naming it."""

    scope = serializers.CharField(required=False, default="pool")
    proposal_uuid = serializers.UUIDField(required=False)
    reviewer_uuid = serializers.UUIDField(required=False)

    def validate_scope(self, value):
        return value if value in MATRIX_SCOPES else "pool"


class PairExplanationQuerySerializer(serializers.Serializer):
    proposal_uuid = serializers.UUIDField(help_text="A proposal of this call.")
    reviewer_uuid = serializers.UUIDField(help_text="The reviewer profile's uuid, as in `affinity-matrix/` rows.")


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
    blocking_rule = serializers.ChoiceField(
        choices=[*RULES, POOL_SIZE], allow_null=True,
        help_text="For a proposal the solve left short: the first rule after which fewer reviewers were left "
                  "than it needed (the rules of `removed_pairs`, in their order, or `pool_size` when the pool "
                  "itself is smaller); `capacity` also when enough were eligible but their places went to other "
                  "proposals. Null for a proposal not found or not open.")
    suggestion = serializers.CharField(
        allow_null=True,
        help_text="Why, with the numbers, and what would change it: the setting to change where there is one "
                  "(e.g. the min_affinity_threshold at which enough reviewers pass). Null when blocking_rule is.")


class RemovedPairsSerializer(serializers.Serializer):
    """Candidate pairs each rule removed, each pair counted once under the first rule that removes
    it, in this order (rules no setting relaxes first, then the threshold, then capacity)."""

    team_membership = serializers.IntegerField(help_text="The reviewer created the proposal or is on its team.")
    conflict_bids = serializers.IntegerField(help_text="The reviewer bid `conflict` on the proposal.")
    conflicts = serializers.IntegerField(help_text="A blocking conflict of interest (COI configuration).")
    unavailable_reviewers = serializers.IntegerField(help_text="The reviewer's available_for_reviews is off.")
    existing_assignments = serializers.IntegerField(
        help_text="The reviewer has or had an item for the proposal (never re-offered, §5.2).")
    threshold = serializers.IntegerField(help_text="Affinity below min_affinity_threshold.")
    capacity = serializers.IntegerField(
        help_text="The reviewer has no place left (max_proposals_per_reviewer or their max_assignments).")


class UnmetMinimumSerializer(serializers.Serializer):
    pool_entry_uuid = serializers.CharField()
    required = serializers.IntegerField()
    assigned = serializers.IntegerField()


class DiagnosisFixSerializer(serializers.Serializer):
    """The numbers of a finding's fix; null where its cause does not use them."""

    missing_reviews = serializers.IntegerField(help_text="Reviews these proposals lack.")
    invite_reviewers = serializers.IntegerField(
        help_text="New pool reviewers, each eligible for all these proposals (with the call's default load), that "
                  "cover them.")
    raise_max_assignments_by = serializers.IntegerField(
        allow_null=True,
        help_text="capacity: raising each listed reviewer's max_assignments by this covers the proposals (null when "
                  "it would pass the limit of 50).")
    max_assignments = serializers.DictField(
        child=serializers.IntegerField(), allow_null=True,
        help_text="capacity: per pool entry uuid, the max_assignments that gives it that raise.")
    max_proposals_per_reviewer = serializers.IntegerField(
        allow_null=True,
        help_text="capacity: the call's max_proposals_per_reviewer needed too, null if it suffices.")
    min_affinity_threshold = serializers.FloatField(
        allow_null=True,
        help_text="eligibility: a threshold at which each of these proposals has enough eligible reviewers, when "
                  "the threshold is what removed them; null otherwise.")
    removed_by = serializers.DictField(
        child=serializers.IntegerField(), allow_null=True,
        help_text="eligibility: reviewers of these proposals each rule removed (the keys of removed_pairs).")


class DiagnosisSerializer(serializers.Serializer):
    cause = serializers.ChoiceField(
        choices=["pool", "eligibility", "capacity"],
        help_text="pool: the proposals need more reviewers than the pool has accepted; eligibility: the rules "
                  "leave them too few eligible reviewers; capacity: their eligible reviewers are all at their "
                  "maximum load (the minimum cut's proposals and reviewers).")
    proposal_uuids = serializers.ListField(child=serializers.CharField())
    reviewer_uuids = serializers.ListField(
        child=serializers.CharField(), help_text="capacity: the saturated reviewers' profile uuids; else empty.")
    pool_entry_uuids = serializers.ListField(child=serializers.CharField(), help_text="The same reviewers' pool entries.")
    message = serializers.CharField(help_text="What falls short, why and what fixes it, in plain words.")
    fix = DiagnosisFixSerializer()


class RuleShortfallSerializer(serializers.Serializer):
    """A proposal whose panel misses a diversity rule of the matching configuration (issue 14)."""

    proposal_uuid = serializers.CharField()
    proposal_name = serializers.CharField(allow_blank=True)
    rule = serializers.ChoiceField(
        choices=["min_foreign", "min_per_stage", "max_per_institution", "max_per_country"],
        help_text="min_foreign: min_reviewers_from_other_countries; min_per_stage: min_reviewers_per_career_stage; "
                  "max_per_institution, max_per_country: a limit that leaves the proposal short of reviewers.")
    required = serializers.IntegerField(help_text="Places the rule asks for (or the places a limit leaves short).")
    reached = serializers.IntegerField(help_text="What the assignment gives.")
    available = serializers.IntegerField(help_text="Eligible reviewers with room who could count.")
    message = serializers.CharField(help_text="Which rule, for which proposal, and why, in plain words.")


class GenerateAssignmentsResponseSerializer(serializers.Serializer):
    """Client `GenerateAssignmentsResponse` + extras `total_affinity`, `min_proposal_affinity`
    (null when no proposal wanted reviewers), `unmet_reviewer_minimums`, the candidate-pair counts
    and `preview_uuid`."""

    batches_created = serializers.IntegerField()
    items_created = serializers.IntegerField()
    proposals_processed = serializers.IntegerField()
    skipped_proposals = GenerationSkipSerializer(many=True)
    total_affinity = ScoreField()
    min_proposal_affinity = ScoreField(allow_null=True)
    unmet_reviewer_minimums = UnmetMinimumSerializer(many=True)
    candidate_pairs = serializers.IntegerField(
        help_text="Considered proposals × accepted pool reviewers: every pair the rules were applied to.")
    removed_pairs = RemovedPairsSerializer()
    eligible_pairs = serializers.IntegerField(help_text="candidate_pairs minus every removed pair.")
    diagnosis = DiagnosisSerializer(
        many=True, help_text="Empty when the call is covered. Else computed from the max-flow's minimum cut: which "
                             "proposals fall short, why, and the least fix of each part; all fixes applied cover the "
                             "call.")
    rule_shortfalls = RuleShortfallSerializer(
        many=True, required=False,  # absent from a job's result stored before issue 14
        help_text="Empty unless a diversity rule of the configuration is not met for some proposal: which, and why.")
    max_assignment_probability = serializers.FloatField(
        allow_null=True,
        help_text="A randomized generation's cap on any pair's probability; null for a deterministic one.")
    seed = serializers.IntegerField(
        allow_null=True,
        help_text="A randomized generation's seed: pass it to `generate-assignments/` to draw the same assignment "
                  "from the same inputs. Null for a deterministic one.")
    expected_total_affinity = ScoreField(
        allow_null=True,
        help_text="A randomized generation's expected total affinity: the optimum under the cap, of which "
                  "`total_affinity` is one draw. Null for a deterministic one.")
    preview_uuid = serializers.CharField(
        allow_null=True,
        help_text="A dry run's preview, to pass to `deploy-preview/`; for a deployed preview, that preview; "
                  "null for a generation run without dry_run.")


class MatchedKeywordSerializer(serializers.Serializer):
    keyword = serializers.CharField()
    proficiency = serializers.CharField()


class BestPublicationSerializer(serializers.Serializer):
    title = serializers.CharField()
    year = serializers.IntegerField()
    similarity = ScoreField(help_text="Raw TF-IDF cosine of the publication with the proposal (§5.1).")


class PairExplanationSerializer(serializers.Serializer):
    """Why the reviewer fits the proposal (or not): `assignments.explanations.PairExplanation`."""

    proposal_uuid = serializers.CharField()
    reviewer_uuid = serializers.CharField()
    affinity = ScoreField(allow_null=True, help_text=AFFINITY_SCALE + " Null if not computed.")
    keyword_score = ScoreField(allow_null=True, help_text=RAW_SIMILARITY.format(source="keyword"))
    text_score = ScoreField(allow_null=True, help_text=RAW_SIMILARITY.format(source="text"))
    matched_keywords = MatchedKeywordSerializer(
        many=True, help_text="The reviewer's keywords found in the proposal's name, summary or description.")
    keywords = serializers.IntegerField(help_text="How many keywords the reviewer lists.")
    best_publication = BestPublicationSerializer(
        allow_null=True, help_text="The reviewer's publication most similar to the proposal when the affinities "
                                   "were computed; null when none shares a term with it or none is cached.")
    bid = serializers.CharField(allow_null=True, help_text="The reviewer's bid on the proposal, null if none.")
    summary = serializers.CharField(help_text="The same in one sentence of plain words.")


class SendAllAssignmentsResponseSerializer(serializers.Serializer):
    batches_sent = serializers.IntegerField()
    skipped = serializers.IntegerField()


class AffinityMatrixEntrySerializer(serializers.Serializer):
    """Client `AffinityMatrixEntry` (+ extra `reviewer_pool_entry_uuid`). Documents the shape for
    OpenAPI; rows are rendered by `queries.render_matrix`."""

    uuid = serializers.CharField()
    reviewer_uuid = serializers.CharField()
    reviewer_name = serializers.CharField()
    reviewer_pool_entry_uuid = serializers.CharField()
    proposal_uuid = serializers.CharField()
    proposal_name = serializers.CharField()
    affinity_score = serializers.FloatField(help_text=AFFINITY_SCALE)
    keyword_score = serializers.FloatField(allow_null=True, help_text=RAW_SIMILARITY.format(source="keyword"))
    text_score = serializers.FloatField(allow_null=True, help_text=RAW_SIMILARITY.format(source="text"))
    has_conflict = serializers.BooleanField()
    coi_type = serializers.CharField(allow_null=True)
    coi_severity = serializers.CharField(allow_null=True)
    coi_status = serializers.CharField(allow_null=True)
    source = serializers.CharField()


class AffinityMatrixResponseSerializer(serializers.Serializer):
    """Client `AffinityMatrixResponse`: one page of the rows, `count` of them all (= X-Result-Count)."""

    count = serializers.IntegerField(help_text="Rows matching the filters, on every page.")
    results = AffinityMatrixEntrySerializer(many=True, help_text="This page's rows, best affinity first.")


class ProposedAssignmentSerializer(CallFields, ReviewerFields, ProposalFields, ModelSerializer):
    """Client `ProposedAssignment` (+ extra `call_uuid`). `reviewer` is the reviewer profile."""

    url = LinkField("proposed-assignments", source="*")
    uuid = HexUUIDField(read_only=True)
    reviewer_name = NameField(source="reviewer.user.full_name", default="")
    proposal_name = NameField(source="proposal.name", default="")
    affinity_score = ScoreField(read_only=True, help_text=AFFINITY_SCALE)
    probability = serializers.FloatField(
        read_only=True, allow_null=True,
        help_text="A randomized generation's probability of drawing this pair, at most the call's "
                  "max_assignment_probability; null for a deterministic generation or a pair added by hand.")
    deployed_by = LinkField("users")
    deployed_by_name = NameField(source="deployed_by.full_name", default="")

    class Meta:
        model = ProposedAssignment
        fields = ["url", "uuid", "call", "call_uuid", "reviewer", "reviewer_uuid", "reviewer_name", "proposal",
                  "proposal_uuid", "proposal_name", "affinity_score", "probability", "algorithm_used", "rank",
                  "is_deployed",
                  "deployed_at", "deployed_by", "deployed_by_name", "created"]
        read_only_fields = fields


# What a listed proposed assignment shows of its row and its five related rows.
LIST_COLUMNS = (
    *CallFields.COLUMNS, *ReviewerFields.COLUMNS, *ProposalFields.COLUMNS, "uuid", "created", "affinity_score",
    "probability", "algorithm_used", "rank", "is_deployed", "deployed_at", *person_columns("deployed_by"),
)


def proposed_queryset(queryset=None, listed: bool = False):
    """Rows with everything the serializer follows (only that for a list), in the contract's order:
    by proposal name, then rank (proposal id keeps two equally named proposals apart)."""
    queryset = ProposedAssignment.objects.all() if queryset is None else queryset
    queryset = queryset.select_related("call", "reviewer__user", "proposal", "deployed_by").order_by(
        "proposal__name", "proposal_id", "rank", "uuid"
    )
    return queryset.only(*LIST_COLUMNS) if listed else queryset


class ProposedAssignmentFilter(django_filters.FilterSet):
    is_deployed = BooleanFilter(field_name="is_deployed")

    class Meta:
        model = ProposedAssignment
        fields = []
