"""Reviewer profiles and their affiliations, expertise and publications (§3.10).

Profiles render as the client's `ReviewerProfile`; the nested rows as `ReviewerAffiliation`,
`ReviewerExpertise` and `ReviewerPublication`. `stats` is computed for a whole page at once
(three queries), `profile_completeness` from the nested rows read with it (`attach_rendered_profile_rows`
in the API, `attach_profile_rows` on the web pages)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from referee.api.columns import reads
from referee.api.fields import HexUUIDField, LinkField, RelatedUUIDField, uuid_hex_column
from referee.api.json_sql import uuid_hex_json
from referee.api.queries import attach_rendered, attach_rows
from referee.api.rows import AttachedRowsSerializer, ModelSerializer
from referee.api.stored_rows import StoredRows
from referee.core.models import Customer
from referee.reviewers.domain import END_BEFORE_START, KEYWORD_TAKEN, ORCID_TAKEN
from referee.reviewers.models import (
    ABSTRACT_MAX_LENGTH,
    BIOGRAPHY_MAX_LENGTH,
    ReviewerAffiliation,
    ReviewerExpertise,
    ReviewerProfile,
    ReviewerPublication,
    orcid_validator,
)
from referee.reviewers.queries import profile_completeness, reviewer_stats

# Each relation's rows in their model's order, filtered per page by `attach_profile_rows` and
# `attach_rendered_profile_rows`.
NESTED_ROWS = {
    "affiliations_rows": ReviewerAffiliation.objects.select_related("organization"),
    "expertise_set_rows": ReviewerExpertise.objects.all(),
    "publications_rows": ReviewerPublication.objects.all(),
}


def attach_profile_rows(profiles) -> None:
    """Each profile's nested rows as plain lists of instances (`<relation>_rows`), one query per
    relation for any number of profiles (referee.api.queries.attach_rows): the web pages'."""
    for to_attr, rows in NESTED_ROWS.items():
        attach_rows(profiles, to_attr, rows, "profile_id")


def attach_rendered_profile_rows(profiles, serializer) -> None:
    """The API's: each profile's nested rows as `serializer`'s nested fields render them: on
    PostgreSQL as the profile keeps them rendered (`PROFILE_ROWS`, one query), else one query per
    relation (referee.api.queries.attach_rendered)."""
    PROFILE_ROWS.attach(profiles, serializer)
    for field in serializer.fields.values():
        if field.source in NESTED_ROWS:
            attach_rendered(profiles, field.source, field, NESTED_ROWS[field.source], "profile_id")


class CustomerUUIDField(serializers.SlugRelatedField):
    """An organisation (Customer) by uuid: hex or hyphenated in, hex out (§1)."""

    default_error_messages = {"does_not_exist": "Organization not found.", "invalid": "Must be a valid UUID."}

    def __init__(self, **kwargs):
        super().__init__(slug_field="uuid", queryset=Customer.objects.all(), **kwargs)

    def to_representation(self, obj):
        return obj.uuid.hex

    def column_value(self, target):
        """referee.api.columns: the hex of the organisation's uuid column, null for none."""
        return uuid_hex_column(target, missing=None)

    def json_sql(self, row):
        """referee.api.json_sql: the hex of the organisation's uuid, null for none."""
        if len(self.source_attrs) != 1 or row.field(self.source).related_model is not Customer:
            return None
        return uuid_hex_json(row.sql(f"{self.source}.uuid")), None


class ReviewerAffiliationSerializer(ModelSerializer):
    uuid = HexUUIDField(read_only=True)
    organization = CustomerUUIDField(required=False, allow_null=True)
    organization_name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    organization_name_display = serializers.SerializerMethodField()

    class Meta:
        model = ReviewerAffiliation
        list_serializer_class = AttachedRowsSerializer
        fields = ["uuid", "organization", "organization_name", "organization_name_display", "organization_identifier",
                  "department", "position_title", "start_date", "end_date", "is_primary", "affiliation_type",
                  "country", "created", "modified"]

    @reads("organization_id", "organization.name", "organization_name", sql=lambda row: (
        f"CASE WHEN {row.sql('organization_id')} IS NOT NULL THEN {row.sql('organization.name')} "
        f"ELSE {row.sql('organization_name')} END"))
    def get_organization_name_display(self, obj) -> str:
        return obj.organization.name if obj.organization_id else obj.organization_name

    def validate(self, attrs):
        # Checked on the merged state: a PATCH may send only one date, or clear only the name.
        merged = {**self._current(), **attrs}
        organization, name = merged.get("organization"), (merged.get("organization_name") or "").strip()
        if organization is None and not name:
            raise serializers.ValidationError("Either organization or organization_name must be provided.")
        if attrs.get("organization") is not None and not (attrs.get("organization_name") or "").strip():
            # Copied when omitted (also on a PATCH that moves the link), so the text survives the customer.
            attrs["organization_name"] = attrs["organization"].name
        start, end = merged.get("start_date"), merged.get("end_date")
        if start and end and end < start:
            raise serializers.ValidationError({"end_date": [END_BEFORE_START]})
        return attrs

    def _current(self) -> dict:
        obj = self.instance
        if obj is None:
            return {}
        return {"organization": obj.organization, "organization_name": obj.organization_name,
                "start_date": obj.start_date, "end_date": obj.end_date}


class ReviewerExpertiseSerializer(ModelSerializer):
    uuid = HexUUIDField(read_only=True)
    # Expertise categories are out of scope (§0.3): always null, any input ignored.
    expertise_category = serializers.SerializerMethodField()
    expertise_category_name = serializers.SerializerMethodField()

    class Meta:
        model = ReviewerExpertise
        list_serializer_class = AttachedRowsSerializer
        fields = ["uuid", "expertise_keyword", "expertise_category", "expertise_category_name", "proficiency_level",
                  "years_experience", "last_active_date", "created", "modified"]
        validators = []  # the case-insensitive uniqueness is checked below

    @reads()
    def get_expertise_category(self, obj) -> str | None:
        return None

    @reads()
    def get_expertise_category_name(self, obj) -> str:
        return ""

    def validate_expertise_keyword(self, value):
        profile = self.context["profile"]
        taken = ReviewerExpertise.objects.filter(profile=profile, expertise_keyword__iexact=value)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError(KEYWORD_TAKEN)
        return value


@extend_schema_field({"type": "array", "items": {}})
class CoauthorsField(serializers.JSONField):
    """Co-authors: each item a non-blank name, or `{"name": ..., "orcid"?: ...}`."""

    MAX_ITEMS = 1000

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        if not isinstance(data, list):
            raise serializers.ValidationError("Expected a list of co-authors.")
        if len(data) > self.MAX_ITEMS:
            raise serializers.ValidationError(f"Ensure this list has no more than {self.MAX_ITEMS} co-authors.")
        for position, item in enumerate(data):
            self._check(position, item)
        return data

    @staticmethod
    def _check(position, item):
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str) or not name.strip():
            raise serializers.ValidationError(
                f"Item {position}: a co-author is a name or an object with a non-blank \"name\".")
        orcid = item.get("orcid") if isinstance(item, dict) else None
        if orcid not in (None, ""):
            if not isinstance(orcid, str) or not orcid_validator.regex.match(orcid):
                raise serializers.ValidationError(f"Item {position}: {orcid_validator.message}")


class ReviewerPublicationSerializer(ModelSerializer):
    uuid = HexUUIDField(read_only=True)
    coauthors = CoauthorsField(required=False)
    external_ids = serializers.DictField(child=serializers.CharField(max_length=255), required=False)

    class Meta:
        model = ReviewerPublication
        list_serializer_class = AttachedRowsSerializer
        fields = ["uuid", "title", "publication_year", "venue", "doi", "venue_type", "abstract", "coauthors",
                  "external_ids", "is_excluded_from_matching", "created", "modified"]
        extra_kwargs = {"abstract": {"max_length": ABSTRACT_MAX_LENGTH}}


class ReviewerStatsSerializer(serializers.Serializer):
    uuid = serializers.CharField()
    total_reviews_completed = serializers.IntegerField()
    total_reviews_declined = serializers.IntegerField()
    total_reviews_timeout = serializers.IntegerField()
    average_review_time_days = serializers.FloatField(allow_null=True)
    average_score_given = serializers.FloatField(allow_null=True)
    last_review_date = serializers.DateField(allow_null=True)
    quality_rating = serializers.FloatField(allow_null=True)
    quality_rating_count = serializers.IntegerField()


class ProfileCompletenessSerializer(serializers.Serializer):
    is_complete = serializers.BooleanField()
    missing_fields = serializers.ListField(child=serializers.CharField())
    mandatory_fields = serializers.ListField(child=serializers.CharField())
    enforcement_enabled = serializers.BooleanField()
    percentage = serializers.IntegerField()


class ProfileListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        profiles = list(data.all() if hasattr(data, "all") else data)
        attach_rendered_profile_rows(profiles, self.child)
        self._context["profile_stats"] = reviewer_stats(profiles)  # one pass for the whole page
        return super().to_representation(profiles)


class ReviewerProfileSerializer(ModelSerializer):
    url = LinkField("reviewer-profiles", source="*")
    uuid = HexUUIDField(read_only=True)
    user = LinkField("users")
    user_uuid = RelatedUUIDField(source="user")
    user_full_name = serializers.CharField(source="user.full_name", read_only=True)
    user_email = serializers.CharField(source="user.email", read_only=True)
    orcid_id = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, validators=[
            orcid_validator, UniqueValidator(ReviewerProfile.objects.all(), message=ORCID_TAKEN)],
    )
    orcid_connected = serializers.SerializerMethodField()
    orcid_last_sync = serializers.SerializerMethodField()
    biography = serializers.CharField(required=False, allow_blank=True, max_length=BIOGRAPHY_MAX_LENGTH)
    alternative_names = serializers.ListField(
        child=serializers.CharField(max_length=255), required=False, max_length=100)
    # Rows already rendered, attached by `attach_rendered_profile_rows` (to a page by the list).
    affiliations = ReviewerAffiliationSerializer(many=True, read_only=True, source="affiliations_rows")
    expertise_set = ReviewerExpertiseSerializer(many=True, read_only=True, source="expertise_set_rows")
    publications = ReviewerPublicationSerializer(many=True, read_only=True, source="publications_rows")
    stats = serializers.SerializerMethodField()
    profile_completeness = serializers.SerializerMethodField()

    class Meta:
        model = ReviewerProfile
        list_serializer_class = ProfileListSerializer
        fields = ["url", "uuid", "user", "user_uuid", "user_full_name", "user_email", "orcid_id", "orcid_connected",
                  "orcid_last_sync", "biography", "alternative_names", "available_for_reviews", "career_stage",
                  "affiliations",
                  "expertise_set", "publications", "stats", "profile_completeness", "is_published",
                  "published_at", "created", "modified"]
        read_only_fields = ["is_published", "published_at"]

    def to_representation(self, profile):
        # A page's rows are attached by the list, at once; checked here without walking the
        # fields (a hundred walks of 23 fields were 2 ms of a page).
        if any(to_attr not in profile.__dict__ for to_attr in NESTED_ROWS):
            attach_rendered_profile_rows([profile], self)
        return super().to_representation(profile)

    def validate_orcid_id(self, value):
        return value or None  # "" clears the ORCID (stored as null: unique but absent)

    def get_orcid_connected(self, obj) -> bool:
        return False  # ORCID OAuth is out of scope (§0.3)

    def get_orcid_last_sync(self, obj) -> str | None:
        return None

    @extend_schema_field(ReviewerStatsSerializer)
    def get_stats(self, obj):
        page = self.context.get("profile_stats")
        row = page[obj.pk] if page and obj.pk in page else reviewer_stats([obj])[obj.pk]
        # JSON's own types already (str, int, float, None) but for the date, so the row is
        # rendered here; ReviewerStatsSerializer declares its shape, and rendering through its
        # nine fields cost more than the rest of the profile's stats.
        last = row["last_review_date"]
        return {**row, "last_review_date": None if last is None else last.isoformat()}

    @extend_schema_field(ProfileCompletenessSerializer)
    def get_profile_completeness(self, obj):
        return profile_completeness(obj)


# Each profile's nested rows kept rendered as ReviewerProfileSerializer renders them (on PostgreSQL).
PROFILE_ROWS = StoredRows(ReviewerProfile, ReviewerProfileSerializer, NESTED_ROWS, "profile_id")
