"""Call pool entries (§3.6) and the bodies of the pool actions (§3.5, §3.6)."""

from functools import cache
from typing import NamedTuple

from django.conf import settings
from django.db.models import OuterRef
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from referee.api.columns import reads
from referee.api.fields import DisplayField, HexUUIDField, LinkField, NameField, RelatedUUIDField, ScoreField
from referee.api.parts import CallFields, ReviewerFields
from referee.api.queries import packed_counts
from referee.api.rows import ModelSerializer
from referee.assignments.workload import open_assignments_expression, pending_items_expression
from referee.calls.models import COI_TYPE_CODES
from referee.conflicts.enums import ConflictStatus, Severity
from referee.conflicts.models import ConflictOfInterest
from referee.reviewers.models import MAX_ASSIGNMENTS_DEFAULT, MAX_ASSIGNMENTS_MAX, MAX_ASSIGNMENTS_MIN, CallReviewerPool
from referee.reviews.enums import ReviewState
from referee.reviews.models import Review


class CoiCounts(NamedTuple):
    """An entry's conflicts in its call, but dismissed ones, by severity (its fields are named as
    the severities: `coi_by_severity` renders them as they are)."""

    real: int
    apparent: int
    potential: int


class ReviewCounts(NamedTuple):
    """An entry's user's reviews of its call's proposals, by state."""

    in_review: int
    submitted: int


@cache
def entry_counts() -> dict:
    """The count annotations of `with_pool_details` (referee.api.queries.packed_counts): one
    subquery for the three severities and one for both review states, where five subqueries read
    the same conflicts three times and the same reviews twice. Built once per process."""
    conflicts = ConflictOfInterest.objects.filter(
        reviewer=OuterRef("reviewer"), call=OuterRef("call")).exclude(status=ConflictStatus.DISMISSED)
    reviews = Review.objects.filter(reviewer=OuterRef("reviewer__user"), call=OuterRef("call"))
    return {
        "coi_counts": packed_counts(conflicts, "severity", (Severity.REAL, Severity.APPARENT, Severity.POTENTIAL),
                                    CoiCounts),
        "review_counts": packed_counts(reviews, "state", (ReviewState.IN_REVIEW, ReviewState.SUBMITTED), ReviewCounts),
    }


def with_pool_details(queryset):
    """Everything an entry renders: pending items, COI and review counts as annotations. The
    workload (`current_assignments`) is pending items + reviews in review, read from the review
    counts rather than counted again; it is an alias, computed by the database only when a list
    is ordered by it."""
    queryset = queryset.select_related("call", "reviewer__user", "invited_by", "overridden_by")
    return queryset.alias(current_assignments=open_assignments_expression()).annotate(
        pending_items=pending_items_expression(), **entry_counts())


def render_entries(entries, context) -> list:
    """Entries re-read with their annotations (workload, COIs, reviews), in the given order."""
    rows = {e.pk: e for e in with_pool_details(CallReviewerPool.objects.filter(pk__in=[e.pk for e in entries]))}
    return CallReviewerPoolSerializer([rows[e.pk] for e in entries], many=True, context=context).data


class CoiBySeveritySerializer(serializers.Serializer):
    real = serializers.IntegerField()
    apparent = serializers.IntegerField()
    potential = serializers.IntegerField()


class CallReviewerPoolSerializer(CallFields, ReviewerFields, ModelSerializer):
    """Client `CallReviewerPool`. Instances come from `with_pool_details`."""

    url = LinkField("call-reviewer-pools", source="*")
    uuid = HexUUIDField(read_only=True)
    reviewer_name = serializers.CharField(source="reviewer.user.full_name", read_only=True)
    reviewer_email = serializers.CharField(source="reviewer.user.email", read_only=True)
    invited_email = serializers.CharField(read_only=True)  # "" unless invited by address (§2): no email format
    has_profile = serializers.SerializerMethodField()
    invited_user = LinkField("users", source="reviewer.user")
    invited_user_uuid = RelatedUUIDField(source="reviewer.user")
    invited_user_name = NameField(source="reviewer.user.full_name")
    # default="": NameField alone omits the key when the intermediate user is null.
    invited_by_name = NameField(source="invited_by.full_name", default="")
    invitation_status_display = DisplayField("invitation_status")
    current_assignments = serializers.SerializerMethodField()
    invitation_link = serializers.SerializerMethodField()
    expertise_match_score = ScoreField(read_only=True, allow_null=True)
    coi_count = serializers.SerializerMethodField()
    coi_by_severity = serializers.SerializerMethodField()
    reviews_pending = serializers.SerializerMethodField()
    reviews_in_progress = serializers.IntegerField(source="review_counts.in_review", read_only=True)
    reviews_completed = serializers.IntegerField(source="review_counts.submitted", read_only=True)
    overridden_by_name = NameField(source="overridden_by.full_name", default="")

    class Meta:
        model = CallReviewerPool
        fields = ["url", "uuid", "call", "call_uuid", "call_name", "reviewer", "reviewer_uuid", "reviewer_name",
                  "reviewer_email", "has_profile", "invited_email", "invited_user", "invited_user_uuid",
                  "invited_user_name", "invited_at", "invitation_status", "invitation_status_display",
                  "response_date", "decline_reason", "max_assignments", "expertise_match_score",
                  "current_assignments", "invited_by_name", "invitation_link", "invitation_expires_at",
                  "invitation_message", "created", "modified", "coi_count", "coi_by_severity", "reviews_pending",
                  "reviews_in_progress", "reviews_completed", "override_reason", "overridden_by_name",
                  "overridden_at"]
        read_only_fields = fields

    @reads()
    def get_has_profile(self, entry) -> bool:
        return True  # every entry is made for a profile (§2)

    @reads("pending_items", "review_counts")
    def get_current_assignments(self, entry) -> int:
        return entry.pending_items + entry.review_counts.in_review  # as assignments.workload counts it

    @reads("invitation_status", "invitation_token")
    def get_invitation_link(self, entry) -> str | None:
        if entry.invitation_status != CallReviewerPool.Status.PENDING:
            return None
        return f"{settings.SITE_URL}/reviewer-invitation/{entry.invitation_token}/"

    @reads("coi_counts")
    def get_coi_count(self, entry) -> int:
        return sum(entry.coi_counts)

    @extend_schema_field(CoiBySeveritySerializer)
    @reads("coi_counts")
    def get_coi_by_severity(self, entry):
        return entry.coi_counts._asdict()

    @reads()
    def get_reviews_pending(self, entry) -> int:
        return 0  # Waldur's legacy field: reviews start in_review


class PoolUpdateSerializer(serializers.Serializer):
    """PATCH `/{uuid}/` (client `CallReviewerPoolUpdate`)."""

    max_assignments = serializers.IntegerField(min_value=MAX_ASSIGNMENTS_MIN, max_value=MAX_ASSIGNMENTS_MAX)


class ReviewerInvitationSerializer(serializers.Serializer):
    """POST `reviewer-pool/` (client `ReviewerInvitationRequest`)."""

    reviewer_uuids = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=1000)
    max_assignments = serializers.IntegerField(
        min_value=MAX_ASSIGNMENTS_MIN, max_value=MAX_ASSIGNMENTS_MAX, default=MAX_ASSIGNMENTS_DEFAULT)
    invitation_message = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class DeclaredConflictSerializer(serializers.Serializer):
    """One item of the accept body (client `SelfDeclaredConflictRequest`)."""

    proposal_uuid = serializers.UUIDField()
    coi_type = serializers.ChoiceField(choices=COI_TYPE_CODES)
    severity = serializers.ChoiceField(choices=tuple(Severity), default="apparent")
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class InvitationDeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ForceAcceptSerializer(serializers.Serializer):
    override_reason = serializers.CharField(max_length=2000)


class InvitationAcceptResponseSerializer(serializers.Serializer):
    detail = serializers.CharField()
    declared_conflicts = serializers.ListField(child=serializers.CharField())


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()
