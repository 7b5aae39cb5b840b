"""Reviewer profiles with their affiliations, expertise and publications; call pools; bids (§2)."""

import secrets

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower

from referee.calls.models import Call, Proposal
from referee.core.countries import validate_country
from referee.core.models import Customer, User, UUIDModel
from referee.reviewers import enums
from referee.reviewers.querysets import ManagedOrOwnQuerySet, PoolQuerySet, ProfileQuerySet, ProfileRowQuerySet

ORCID_MESSAGE = "ORCID must be in format 0000-0000-0000-0000 (last character can be X)"
# The one ORCID rule: the model, the API's serializers and the import schema all use this validator.
orcid_validator = RegexValidator(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$", ORCID_MESSAGE)
# A pool entry's `max_assignments` (§2: 5, within 1–50), for the model, the API and the import schema.
MAX_ASSIGNMENTS_DEFAULT, MAX_ASSIGNMENTS_MIN, MAX_ASSIGNMENTS_MAX = 5, 1, 50
# Longest biography and abstract the API and the pages take (the columns are unbounded text).
BIOGRAPHY_MAX_LENGTH, ABSTRACT_MAX_LENGTH = 10000, 20000


class ReviewerProfile(UUIDModel):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="reviewer_profile")
    orcid_id = models.CharField(max_length=19, null=True, blank=True, unique=True, validators=[orcid_validator])
    biography = models.TextField(blank=True, default="")
    alternative_names = models.JSONField(default=list, blank=True)
    available_for_reviews = models.BooleanField(default=True)
    career_stage = models.CharField(
        max_length=16, choices=enums.CareerStage.choices, blank=True, default="",
        help_text="doctoral, postdoc, established or senior; empty: unknown. Read by the matching's "
                  "diversity rules (places reserved per career stage).")
    is_published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = ProfileQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.user.full_name


class ReviewerAffiliation(UUIDModel):
    Type = enums.AffiliationType

    profile = models.ForeignKey(ReviewerProfile, on_delete=models.CASCADE, related_name="affiliations")
    organization = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    organization_name = models.CharField(max_length=255, blank=True, default="")
    organization_identifier = models.CharField(max_length=255, blank=True, default="")
    department = models.CharField(max_length=255, blank=True, default="")
    position_title = models.CharField(max_length=255, blank=True, default="")
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    is_primary = models.BooleanField(default=False)
    affiliation_type = models.CharField(max_length=16, choices=Type.choices, default=Type.EMPLOYMENT)
    country = models.CharField(
        max_length=2, blank=True, default="", validators=[validate_country],
        help_text="ISO 3166-1 alpha-2 code of the country of this affiliation; empty: the organisation's, "
                  "if known.")

    objects = ProfileRowQuerySet.as_manager()

    class Meta:
        ordering = ["-is_primary", "-start_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(start_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="affiliation_end_after_start",
            )
        ]


class ReviewerExpertise(UUIDModel):
    Proficiency = enums.Proficiency

    profile = models.ForeignKey(ReviewerProfile, on_delete=models.CASCADE, related_name="expertise_set")
    expertise_keyword = models.CharField(max_length=255)
    expertise_category = models.UUIDField(null=True, blank=True)
    proficiency_level = models.CharField(max_length=16, choices=Proficiency.choices, default=Proficiency.FAMILIAR)
    years_experience = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(100)])
    last_active_date = models.DateField(null=True, blank=True)

    objects = ProfileRowQuerySet.as_manager()

    class Meta:
        ordering = ["expertise_keyword", "id"]
        constraints = [
            models.UniqueConstraint(Lower("expertise_keyword"), "profile", name="expertise_keyword_unique_per_profile")
        ]


class ReviewerPublication(UUIDModel):
    Venue = enums.Venue

    profile = models.ForeignKey(ReviewerProfile, on_delete=models.CASCADE, related_name="publications")
    title = models.CharField(max_length=1000)
    publication_year = models.PositiveSmallIntegerField(validators=[MinValueValidator(1900), MaxValueValidator(2100)])
    venue = models.CharField(max_length=500, blank=True, default="")
    doi = models.CharField(max_length=255, null=True, blank=True)
    venue_type = models.CharField(max_length=16, choices=Venue.choices, default=Venue.JOURNAL)
    abstract = models.TextField(blank=True, default="")
    coauthors = models.JSONField(default=list, blank=True)
    external_ids = models.JSONField(default=dict, blank=True)
    is_excluded_from_matching = models.BooleanField(default=False)

    objects = ProfileRowQuerySet.as_manager()

    class Meta:
        ordering = ["-publication_year", "title", "id"]


def new_invitation_token() -> str:
    return secrets.token_hex(32)


class CallReviewerPool(UUIDModel):
    """A reviewer's membership of a call's pool: invitation, response and workload limit."""

    Status = enums.InvitationStatus

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="reviewer_pool")
    reviewer = models.ForeignKey(ReviewerProfile, on_delete=models.CASCADE, related_name="pool_entries")
    invited_email = models.EmailField(blank=True, default="")
    invited_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    invited_at = models.DateTimeField(db_index=True)
    invitation_status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    response_date = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True, default="")
    max_assignments = models.PositiveSmallIntegerField(
        default=MAX_ASSIGNMENTS_DEFAULT,
        validators=[MinValueValidator(MAX_ASSIGNMENTS_MIN), MaxValueValidator(MAX_ASSIGNMENTS_MAX)])
    expertise_match_score = models.FloatField(null=True, blank=True)
    invitation_expires_at = models.DateTimeField(null=True, blank=True)
    invitation_token = models.CharField(max_length=64, unique=True, default=new_invitation_token)
    invitation_message = models.TextField(blank=True, default="")
    expiry_notified = models.BooleanField(default=False)
    override_reason = models.TextField(blank=True, default="")
    overridden_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    overridden_at = models.DateTimeField(null=True, blank=True)

    objects = PoolQuerySet.as_manager()

    class Meta:
        ordering = ["-invited_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["call", "reviewer"], name="pool_entry_unique_per_call")]
        indexes = [
            # A manager's visibility of profiles (and of their rows) hashes their calls' accepted
            # members: read from this index alone, not by reading every entry of the calls
            # (docs/benchmarks.md, "Sixteenth pass": 0.82 → 0.24 ms, in the count and the page).
            models.Index(fields=["call", "reviewer"], condition=models.Q(invitation_status=enums.InvitationStatus.ACCEPTED),
                         name="pool_accepted_by_call"),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} in {self.call}"


class ReviewerBid(UUIDModel):
    Bid = enums.BidValue

    # Weight w of §5.2; conflict bids exclude the pair instead of weighting it.
    WEIGHTS = {"eager": 1.0, "willing": 0.5, "not_willing": -0.5}

    reviewer = models.ForeignKey(ReviewerProfile, on_delete=models.CASCADE, related_name="bids")
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="bids")
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="bids", editable=False)
    bid = models.CharField(max_length=16, choices=Bid.choices)
    comment = models.TextField(blank=True, default="")

    objects = ManagedOrOwnQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        constraints = [models.UniqueConstraint(fields=["reviewer", "proposal"], name="bid_unique_per_pair")]

    def save(self, *args, **kwargs):
        self.call_id = self.proposal.call_id
        super().save(*args, **kwargs)
