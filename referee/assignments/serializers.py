"""Assignment batches and items as the client models them (§3.1, §3.2, §3.3), and the bodies of
their actions."""

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce
from rest_framework import serializers

from referee.api.columns import reads
from referee.api.fields import DisplayField, HexUUIDField, LinkField, NameField, RelatedUUIDField, ScoreField
from referee.api.parts import CallFields, ProposalFields
from referee.api.rows import ModelSerializer
from referee.assignments.affinities import AFFINITY_SCALE
from referee.assignments.models import AssignmentBatch, AssignmentItem
from referee.calls.disclosure import ProposalDisclosure, in_invitation
from referee.conflicts.models import ConflictOfInterest

MAX_NOTES = 5000
MAX_PROPOSALS = 1000
NOT_ANNOTATED = object()


def blocking_coi_count():
    """Annotation for items: the COIs now blocking the item's (reviewer profile, proposal) pair.
    The profile is reached inside the subquery: an outer join to the pool entry for it would stay
    in the list's COUNT, over every visible item."""
    conflicts = (
        ConflictOfInterest.objects.blocking()
        .filter(reviewer__pool_entries=OuterRef("pool_entry_id"), proposal_id=OuterRef("proposal_id"))
        .values("reviewer_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(conflicts[:1], output_field=IntegerField()), Value(0))


def item_prefetch(queryset=None) -> Prefetch:
    """Items of batches for a detail view: one query for all, in the order reviewers see them
    (best affinity first, unscored last, then by name)."""
    queryset = (queryset or AssignmentItem.objects.all()).select_related("proposal", "review", "overridden_by")
    return Prefetch(
        "items",
        queryset=queryset.annotate(coi_count=blocking_coi_count()).order_by(
            F("affinity_score").desc(nulls_last=True), "proposal__name", "uuid"
        ),
    )


class AssignmentItemSerializer(ProposalFields, ModelSerializer):
    """Client `AssignmentItem`."""

    url = LinkField("assignment-items", source="*")
    uuid = HexUUIDField(read_only=True)
    batch = LinkField("assignment-batches")
    proposal_slug = NameField(source="proposal.slug")
    status_display = DisplayField("status", labels=AssignmentItem.Status.choices)
    affinity_score = ScoreField(read_only=True, help_text=AFFINITY_SCALE)
    coi_count = serializers.SerializerMethodField()
    review = LinkField("proposal-reviews")
    review_uuid = RelatedUUIDField(source="review", nil=True)  # client-mandatory: nil UUID without review
    overridden_by_name = NameField(source="overridden_by.full_name")

    class Meta:
        model = AssignmentItem
        fields = ["url", "uuid", "batch", "proposal", "proposal_uuid", "proposal_name", "proposal_slug", "status",
                  "status_display", "affinity_score", "has_coi", "coi_count", "responded_at", "decline_reason",
                  "review", "review_uuid", "reassign_count", "override_reason", "overridden_by_name",
                  "overridden_at", "created"]
        read_only_fields = fields

    @reads("coi_count")
    def get_coi_count(self, item) -> int:
        count = getattr(item, "coi_count", NOT_ANNOTATED)
        if count is NOT_ANNOTATED:  # a single item fresh from a domain action: ask the database
            return ConflictOfInterest.objects.blocking().filter(
                reviewer_id=item.pool_entry.reviewer_id, proposal_id=item.proposal_id
            ).count()
        return count


class AssignmentBatchListSerializer(CallFields, ModelSerializer):
    """Client `AssignmentBatchList`. Counts come from `BatchQuerySet.with_counts()` (`item_counts`)."""

    url = LinkField("assignment-batches", source="*")
    uuid = HexUUIDField(read_only=True)
    reviewer_pool_entry = LinkField("call-reviewer-pools")
    reviewer_pool_entry_uuid = RelatedUUIDField(source="reviewer_pool_entry")
    reviewer_name = NameField(source="reviewer_pool_entry.reviewer.user.full_name")
    reviewer_email = NameField(source="reviewer_pool_entry.reviewer.user.email")
    reviewer_uuid = RelatedUUIDField(source="reviewer_pool_entry.reviewer")
    status_display = DisplayField("status", labels=AssignmentBatch.Status.choices)
    source_display = DisplayField("source", labels=AssignmentBatch.Source.choices)
    created_by = LinkField("users")
    created_by_name = NameField(source="created_by.full_name")
    items_count = serializers.IntegerField(source="item_counts.total", read_only=True)
    items_pending_count = serializers.IntegerField(source="item_counts.pending", read_only=True)
    items_accepted_count = serializers.IntegerField(source="item_counts.accepted", read_only=True)
    items_declined_count = serializers.IntegerField(source="item_counts.declined", read_only=True)
    is_expired = serializers.BooleanField(read_only=True)

    class Meta:
        model = AssignmentBatch
        fields = ["url", "uuid", "call", "call_uuid", "call_name", "reviewer_pool_entry", "reviewer_pool_entry_uuid",
                  "reviewer_name", "reviewer_email", "reviewer_uuid", "status", "status_display", "sent_at",
                  "expires_at", "responded_at", "source", "source_display", "created_by", "created_by_name",
                  "manager_notes", "items_count", "items_pending_count", "items_accepted_count",
                  "items_declined_count", "is_expired", "created"]
        read_only_fields = fields


class AssignmentBatchSerializer(AssignmentBatchListSerializer):
    """Client `AssignmentBatch`: the list row plus its items (prefetched by `item_prefetch`)."""

    items = AssignmentItemSerializer(many=True, read_only=True)

    class Meta(AssignmentBatchListSerializer.Meta):
        # `items` sits after `manager_notes`, where the seed lists it.
        row = AssignmentBatchListSerializer.Meta.fields
        fields = [*row[: row.index("items_count")], "items", *row[row.index("items_count"):]]
        read_only_fields = fields


class MyAssignmentBatchSerializer(ModelSerializer):
    """Client `MyAssignmentBatch` (the reviewer's own view, §3.2)."""

    uuid = HexUUIDField(read_only=True)
    call_uuid = RelatedUUIDField(source="call")
    call_name = NameField(source="call.name")
    status = serializers.CharField(read_only=True)  # a plain string in the client's model, not an enum
    status_display = DisplayField("status", labels=AssignmentBatch.Status.choices)
    is_expired = serializers.BooleanField(read_only=True)
    items_count = serializers.IntegerField(source="item_counts.total", read_only=True)
    items_pending_count = serializers.IntegerField(source="item_counts.pending", read_only=True)

    class Meta:
        model = AssignmentBatch
        fields = ["uuid", "call_uuid", "call_name", "status", "status_display", "sent_at", "expires_at", "is_expired",
                  "items_count", "items_pending_count", "manager_notes"]
        read_only_fields = fields


class MyAssignmentItemSerializer(ModelSerializer):
    """Client `MyAssignmentItem` + `proposal_description`, `review_uuid` (extra).

    Proposal text follows the call's `invitation_proposal_disclosure`, passed in the context as
    `disclosure`, as an invitation shows it (`calls.disclosure.in_invitation`, §3.2)."""

    uuid = HexUUIDField(read_only=True)
    proposal_uuid = RelatedUUIDField(source="proposal")
    proposal_name = NameField(source="proposal.name")
    proposal_slug = NameField(source="proposal.slug")
    proposal_summary = serializers.SerializerMethodField()
    status = serializers.CharField(read_only=True)  # a plain string in the client's model, not an enum
    status_display = DisplayField("status", labels=AssignmentItem.Status.choices)
    affinity_score = ScoreField(read_only=True, help_text=AFFINITY_SCALE)
    proposal_description = serializers.SerializerMethodField()
    review_uuid = RelatedUUIDField(source="review")

    class Meta:
        model = AssignmentItem
        fields = ["uuid", "proposal_uuid", "proposal_name", "proposal_slug", "proposal_summary", "status",
                  "status_display", "affinity_score", "has_coi", "proposal_description", "review_uuid"]
        read_only_fields = fields

    def _shown(self, item) -> ProposalDisclosure:
        return in_invitation(self.context["disclosure"], item)

    def get_proposal_summary(self, item) -> str:
        return self._shown(item).summary_of(item.proposal)

    def get_proposal_description(self, item) -> str:
        return self._shown(item).description_of(item.proposal)


class MyAssignmentBatchDetailSerializer(MyAssignmentBatchSerializer):
    """Client `MyAssignmentBatchDetail`."""

    items = MyAssignmentItemSerializer(many=True, read_only=True)

    class Meta(MyAssignmentBatchSerializer.Meta):
        fields = [*MyAssignmentBatchSerializer.Meta.fields, "items"]
        read_only_fields = fields


# Request bodies and action responses.


class BatchNotesSerializer(serializers.Serializer):
    """PUT/PATCH body: only `manager_notes` may change; other keys are ignored."""

    manager_notes = serializers.CharField(max_length=MAX_NOTES, allow_blank=True, required=False)


class SendBatchSerializer(serializers.Serializer):
    manager_notes = serializers.CharField(max_length=MAX_NOTES, allow_blank=True, required=False)


class SendBatchResponseSerializer(serializers.Serializer):
    detail = serializers.CharField()
    expires_at = serializers.DateTimeField()


class MessageResponseSerializer(serializers.Serializer):
    message = serializers.CharField()


class ExtendDeadlineSerializer(serializers.Serializer):
    expires_at = serializers.DateTimeField()


class ExtendDeadlineResponseSerializer(serializers.Serializer):
    expires_at = serializers.DateTimeField()
    status = serializers.CharField()


class ManualAssignmentSerializer(serializers.Serializer):
    reviewer_pool_entry_uuid = serializers.UUIDField()
    proposal_uuids = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=MAX_PROPOSALS)
    manager_notes = serializers.CharField(max_length=MAX_NOTES, allow_blank=True, required=False, default="")
    override_workload_limit = serializers.BooleanField(required=False, default=False)


class SkippedProposalSerializer(serializers.Serializer):
    proposal_uuid = serializers.CharField()
    proposal_name = serializers.CharField(allow_blank=True)
    reason = serializers.CharField()


class ManualAssignmentResultSerializer(serializers.Serializer):
    """Renders `domain.ManualAssignmentResult`; `batch_uuid` is the nil UUID when there is no draft."""

    batch_uuid = RelatedUUIDField(nil=True)
    items_created = serializers.IntegerField()
    skipped_proposals = SkippedProposalSerializer(many=True)


# Items (§3.3): list/detail querysets, request bodies and action responses.

MAX_REASON = 2000


def item_details(queryset):
    """What rendering an item reads, in one query per page: joined rows plus `coi_count`."""
    return queryset.select_related("proposal", "review", "overridden_by", "batch").annotate(
        coi_count=blocking_coi_count()
    )


class ItemDeclineReasonSerializer(serializers.Serializer):
    """PUT/PATCH body: only `decline_reason` may change; other keys are ignored."""

    decline_reason = serializers.CharField(max_length=MAX_REASON, allow_blank=True, required=False)


class ItemDeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_REASON, allow_blank=True, required=False, default="")


class ItemResponseSerializer(serializers.Serializer):
    """Client `AssignmentItemResponse`: accept and decline."""

    detail = serializers.CharField()
    review_uuid = HexUUIDField(allow_null=True)


class ReassignSerializer(serializers.Serializer):
    reviewer_pool_entry_uuid = serializers.UUIDField()
    manager_notes = serializers.CharField(max_length=MAX_NOTES, allow_blank=True, required=False, default="")
    override_workload_limit = serializers.BooleanField(required=False, default=False)


class ReassignResponseSerializer(serializers.Serializer):
    """Client `ReassignItemResponse` + `has_coi` (extra)."""

    detail = serializers.CharField()
    new_item_uuid = HexUUIDField()
    new_batch_uuid = HexUUIDField()
    has_coi = serializers.BooleanField()


class ForceUnblockSerializer(serializers.Serializer):
    override_reason = serializers.CharField(max_length=MAX_REASON)


class SuggestionSerializer(serializers.Serializer):
    """Client `ReviewerSuggestionItem`, from a `domain.Candidate`."""

    pool_entry_uuid = HexUUIDField(source="entry.uuid")
    reviewer_name = serializers.CharField(source="entry.reviewer.user.full_name")
    affinity_score = ScoreField(source="affinity", allow_null=True, help_text=AFFINITY_SCALE)
    current_assignments = serializers.IntegerField()
    max_assignments = serializers.IntegerField(source="entry.max_assignments")


class SuggestionsSerializer(serializers.Serializer):
    """Client `SuggestAlternativeReviewers`."""

    suggestions = SuggestionSerializer(many=True)
