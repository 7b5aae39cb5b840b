"""Reviews as the client models them (client `ProposalReview`, §3.11) and the bodies of their
actions. `reviewer*` keys describe the reviewing user."""

from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from referee.api.columns import reads
from referee.api.fields import HexUUIDField, LinkField, NameField, RelatedUUIDField
from referee.api.parts import ProposalFields
from referee.api.rows import ModelSerializer
from referee.calls.serializers.refs import parse_ref
from referee.reviews.domain import review_deadline
from referee.reviews.models import Review, end_date

MAX_COMMENT = 2000  # §7 bounds: reasons/comments
COMMENT_FIELDS = ["comment_project_title", "comment_project_summary", "comment_project_description",
                  "comment_project_supporting_documentation", "comment_resource_requests", "comment_team"]
SUMMARY_FIELDS = ["summary_score", "summary_public_comment", "summary_private_comment"]


def with_details(queryset):
    """What rendering reads, for a whole page at once: the joined rows, the deadline of the
    item's batch (`review_end_date`, §4.5) and the reviewer's rank on the proposal."""
    earlier = Review.objects.filter(
        Q(created__lt=OuterRef("created")) | Q(created=OuterRef("created"), pk__lte=OuterRef("pk")),
        proposal=OuterRef("proposal"),
    ).values("proposal").annotate(n=Count("*")).values("n")
    return queryset.select_related("proposal__round", "proposal__call__manager", "reviewer").annotate(
        batch_expires_at=F("assignment_item__batch__expires_at"),
        reviewer_rank=Subquery(earlier[:1], output_field=IntegerField()),
    )


@extend_schema_field({"type": "string", "format": "date-time", "nullable": True, "readOnly": True})
class ReviewEndDateField(serializers.DateTimeField):
    """Derived at read time (§4.5), from the batch deadline annotated by `with_details`."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, source="*", **kwargs)

    def get_attribute(self, review):
        return review_deadline(review)

    def column_value(self, target):
        """referee.api.columns: `end_date` of the review's columns and the batch deadline that
        `with_details` annotates (what `review_deadline` reads of such a review)."""
        parts = [target.at(path) for path in ("created", "proposal.round.review_duration_in_days", "batch_expires_at")]
        if any(part is None or part.optional or part.is_object for part in parts):
            return None
        readers, render = [part.read for part in parts], self.to_representation

        def value(row):
            end = end_date(*(read(row) for read in readers))
            return None if end is None else render(end)

        return value


class ProposalReviewSerializer(ProposalFields, ModelSerializer):
    url = LinkField("proposal-reviews", source="*")
    uuid = HexUUIDField(read_only=True)
    proposal_slug = NameField(source="proposal.slug")
    reviewer = LinkField("users")
    reviewer_full_name = NameField(source="reviewer.full_name")
    reviewer_uuid = RelatedUUIDField(source="reviewer")
    reviewer_image = serializers.SerializerMethodField()
    anonymous_reviewer_name = serializers.SerializerMethodField()
    review_end_date = ReviewEndDateField()
    round_uuid = RelatedUUIDField(source="proposal.round")
    round_name = NameField(source="proposal.round.name")
    round_slug = NameField(source="proposal.round.slug")
    round_cutoff_time = serializers.DateTimeField(source="proposal.round.cutoff_time", read_only=True)
    round_start_time = serializers.DateTimeField(source="proposal.round.start_time", read_only=True)
    call_name = NameField(source="proposal.call.name")
    call_uuid = RelatedUUIDField(source="proposal.call")
    call_slug = NameField(source="proposal.call.slug")
    # Client-mandatory: the nil UUID when the call has no managing organisation (§1).
    call_managing_organisation_uuid = RelatedUUIDField(source="proposal.call.manager", nil=True)
    coi_confirmation_required = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = ["url", "uuid", "proposal", "proposal_name", "proposal_uuid", "proposal_slug", "reviewer",
                  "reviewer_full_name", "reviewer_uuid", "reviewer_image", "anonymous_reviewer_name", "state",
                  "review_end_date", *SUMMARY_FIELDS, *COMMENT_FIELDS, "round_uuid", "round_name", "round_slug",
                  "round_cutoff_time", "round_start_time", "call_name", "call_uuid", "call_slug",
                  "call_managing_organisation_uuid", "coi_confirmed", "coi_confirmed_at",
                  "coi_confirmation_required", "created", "modified"]
        read_only_fields = fields

    @reads()
    def get_reviewer_image(self, review) -> str:
        return ""  # no user images here

    @reads()
    def get_coi_confirmation_required(self, review) -> bool:
        return False  # COIs are handled by the call's COI configuration, not per review

    @reads("reviewer_rank")
    def get_anonymous_reviewer_name(self, review) -> str:
        """"Reviewer N": N is the review's position among the proposal's reviews by creation."""
        rank = getattr(review, "reviewer_rank", None)
        if rank is None:
            earlier = Q(created__lt=review.created) | Q(created=review.created, pk__lte=review.pk)
            rank = Review.objects.filter(earlier, proposal=review.proposal_id).count()
        return f"Reviewer {rank}"


# Request bodies.


class ReviewCreateSerializer(serializers.Serializer):
    """POST body. References are a uuid (hex or hyphenated) or a link; they are resolved by the
    view, which knows which proposals the caller may see."""

    proposal = serializers.CharField()
    reviewer = serializers.CharField()
    override_workload_limit = serializers.BooleanField(required=False, default=False)

    def validate_proposal(self, value):
        return self._key(value, "Proposal")

    def validate_reviewer(self, value):
        return self._key(value, "User")

    @staticmethod
    def _key(value, label):
        key = parse_ref(value)
        if key is None:
            raise serializers.ValidationError(f"{label} not found.")
        return key


def _comment(**kwargs):
    return serializers.CharField(max_length=MAX_COMMENT, allow_blank=True, required=False, **kwargs)


class ReviewSummarySerializer(serializers.Serializer):
    summary_score = serializers.IntegerField(min_value=1, max_value=10, allow_null=True, required=False)
    summary_public_comment = _comment()
    summary_private_comment = _comment()


class ReviewUpdateSerializer(ReviewSummarySerializer):
    """PATCH body: summary and comment fields only; other keys are ignored."""

    comment_project_title = _comment(allow_null=True)
    comment_project_summary = _comment(allow_null=True)
    comment_project_description = _comment(allow_null=True)
    comment_project_supporting_documentation = _comment(allow_null=True)
    comment_resource_requests = _comment(allow_null=True)
    comment_team = _comment(allow_null=True)


class ReviewSubmitSerializer(ReviewSummarySerializer):
    """Client `ReviewSubmitRequest`."""

    coi_confirmed = serializers.BooleanField(required=False)
