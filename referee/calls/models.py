"""Calls for proposals, their configurations, rounds and proposals (§2)."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from referee.calls import enums
from referee.calls.querysets import OPEN_FOR_REVIEW, CallQuerySet, ProposalQuerySet, RoundQuerySet
from referee.core.models import Customer, User, UUIDModel
from referee.core.querysets import ManagedCallRowsQuerySet
from referee.reviewers.enums import CareerStage

COI_TYPES = [
    ("COAUTH_RECENT", "Recent co-authorship"),
    ("COAUTH_OLD", "Past co-authorship"),
    ("INST_SAME", "Same institution"),
    ("INST_DEPT", "Same department"),
    ("INST_FORMER", "Former institution"),
    ("INST_CONSORT", "Same consortium"),
    ("FIN_DIRECT", "Direct financial interest"),
    ("REL_FAMILY", "Family relationship"),
    ("REL_MENTOR", "Mentor or mentee"),
    ("REL_SUPERVISOR", "Supervisor or supervisee"),
    ("REL_EDITORIAL", "Editorial relationship"),
    ("ROLE_NAMED", "Named in the proposal"),
    ("ROLE_CONF", "Conflicting role"),
    ("COLLAB_ACTIVE", "Active collaboration"),
    ("COLLAB_GRANT", "Joint grant"),
    ("COMPET", "Competitor"),
    ("CONF_ATTEND", "Conference co-organiser"),
    ("SOC_MEMBER", "Society membership"),
]
COI_TYPE_CODES = [code for code, _ in COI_TYPES]


def bounded(low, high):
    return [MinValueValidator(low), MaxValueValidator(high)]


def validate_stage_minimums(value) -> None:
    """{career stage: least reviewers of that stage per proposal (0–20)} (issue 14)."""
    if not isinstance(value, dict):
        raise ValidationError("Give an object mapping career stages to numbers of reviewers.")
    for stage, count in value.items():
        if stage not in CareerStage.values:
            raise ValidationError(f'"{stage}" is not a career stage: use {", ".join(CareerStage.values)}.')
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 20:
            raise ValidationError(f"The minimum for {stage} must be a whole number from 0 to 20.")


class Call(UUIDModel):
    State = enums.CallState

    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, unique=True)
    description = models.TextField(blank=True, default="")
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    managers = models.ManyToManyField(User, related_name="managed_calls", blank=True)
    manager = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls")

    objects = CallQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.name


class CallAssignmentConfiguration(UUIDModel):
    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="assignment_config")
    auto_reassign_on_decline = models.BooleanField(default=False)
    max_auto_reassign_attempts = models.PositiveSmallIntegerField(default=3, validators=bounded(0, 10))
    assignment_expiration_days = models.PositiveSmallIntegerField(default=7, validators=bounded(1, 90))
    send_reminder_before_expiry_days = models.PositiveSmallIntegerField(default=2, validators=bounded(0, 30))

    objects = ManagedCallRowsQuerySet.as_manager()


class CallCOIConfiguration(UUIDModel):
    Disclosure = enums.Disclosure

    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="coi_config")
    coauthorship_lookback_years = models.PositiveSmallIntegerField(default=3, validators=bounded(0, 20))
    coauthorship_threshold_papers = models.PositiveSmallIntegerField(default=1, validators=bounded(1, 50))
    institutional_lookback_years = models.PositiveSmallIntegerField(default=2, validators=bounded(0, 20))
    include_same_department = models.BooleanField(default=True)
    include_same_institution = models.BooleanField(default=True)
    recusal_required_types = models.JSONField(default=list, blank=True)
    management_allowed_types = models.JSONField(default=list, blank=True)
    disclosure_only_types = models.JSONField(default=list, blank=True)
    auto_detect_coauthorship = models.BooleanField(default=True)
    auto_detect_institutional = models.BooleanField(default=True)
    auto_detect_named_personnel = models.BooleanField(default=True)
    invitation_proposal_disclosure = models.CharField(
        max_length=32, choices=Disclosure.choices, default=Disclosure.TITLES_ONLY
    )


class MatchingConfiguration(UUIDModel):
    Method = enums.AffinityMethod
    Algorithm = enums.Algorithm

    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="matching_config")
    affinity_method = models.CharField(
        max_length=16, choices=Method.choices, default=Method.COMBINED,
        help_text="combined: keyword and text scores, each as a share of the proposal's best reviewer, "
                  "weighted over the sources a reviewer has; keyword or tfidf: that source alone.")
    keyword_weight = models.FloatField(
        default=0.4, validators=bounded(0, 1),
        help_text="Weight of the keyword score in the combined method. A reviewer without keywords (or "
                  "whose keywords match no reviewer of the proposal) is scored on the text alone.")
    text_weight = models.FloatField(
        default=0.6, validators=bounded(0, 1),
        help_text="Weight of the text score (biography, keywords and publications) in the combined method.")
    min_reviewers_per_proposal = models.PositiveSmallIntegerField(default=3, validators=bounded(1, 20))
    max_reviewers_per_proposal = models.PositiveSmallIntegerField(default=5, validators=bounded(1, 20))
    min_proposals_per_reviewer = models.PositiveSmallIntegerField(default=3, validators=bounded(0, 100))
    max_proposals_per_reviewer = models.PositiveSmallIntegerField(default=10, validators=bounded(1, 100))
    algorithm = models.CharField(max_length=16, choices=Algorithm.choices, default=Algorithm.MINMAX)
    min_affinity_threshold = models.FloatField(
        default=0.1, validators=bounded(0, 1),
        help_text="Least affinity for generation and auto-reassign to offer a pair. Affinity is a share of "
                  "the proposal's best reviewer in the pool: 1 is the best-fitting reviewer, 0.5 one half as "
                  "similar, 0 one with nothing in common. The default 0.1 leaves out only reviewers with less "
                  "than a tenth of the best one's similarity, on every call whatever its vocabulary.")
    use_reviewer_bids = models.BooleanField(default=True)
    bid_weight = models.FloatField(default=0.3, validators=bounded(0, 1))
    # Panel diversity rules (issue 14), honoured inside the optimisation by every algorithm.
    max_reviewers_per_institution = models.PositiveSmallIntegerField(
        null=True, blank=True, default=None, validators=bounded(1, 20),
        help_text="Most new reviewers of one proposal from one institution; null: no limit.")
    max_reviewers_per_country = models.PositiveSmallIntegerField(
        null=True, blank=True, default=None, validators=bounded(1, 20),
        help_text="Most new reviewers of one proposal from one country; null: no limit.")
    min_reviewers_from_other_countries = models.PositiveSmallIntegerField(
        default=0, validators=bounded(0, 20),
        help_text="Places of each proposal reserved for reviewers from a country other than its applicants' "
                  "(where both are known); a reserved place no such reviewer can take stays empty and is "
                  "reported.")
    min_reviewers_per_career_stage = models.JSONField(
        default=dict, blank=True, validators=[validate_stage_minimums],
        help_text='Places of each proposal reserved per career stage, e.g. {"senior": 1}; stages: doctoral, '
                  "postdoc, established, senior.")
    # Randomized assignment (issue 14): the solver's pair probabilities are capped, then one
    # assignment is drawn; 0.01 is the finest cap the solver takes (referee.matching.randomized).
    max_assignment_probability = models.FloatField(
        null=True, blank=True, default=None, validators=bounded(0.01, 1),
        help_text="Randomized assignment: the highest chance any one reviewer has of being assigned any one "
                  "proposal (e.g. 0.5), which guards the call against reviewers who try to get a chosen "
                  "proposal; each generation draws one assignment from the best probabilities under this cap, "
                  "from a recorded seed. Null: deterministic (the best assignment).")


class Round(UUIDModel):
    Status = enums.RoundStatus

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="rounds")
    name = models.CharField(max_length=255, blank=True, default="")
    slug = models.SlugField(max_length=255, blank=True, default="")
    start_time = models.DateTimeField()
    cutoff_time = models.DateTimeField()
    review_duration_in_days = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = RoundQuerySet.as_manager()

    class Meta:
        ordering = ["start_time", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(start_time__lt=models.F("cutoff_time")), name="round_start_before_cutoff"),
        ]

    def __str__(self) -> str:
        return self.name or self.slug

    def clean(self):
        # Its proposals keep their call (their reviews are counted under it, referee.api.row_counts).
        if self.pk and self.proposals.exclude(call_id=self.call_id).exists():
            raise ValidationError({"call": "This round has proposals: it stays in its call."})

    @property
    def status(self) -> str:
        now = timezone.now()
        if now < self.start_time:
            return self.Status.SCHEDULED
        return self.Status.OPEN if now < self.cutoff_time else self.Status.ENDED


class Proposal(UUIDModel):
    State = enums.ProposalState

    OPEN_FOR_REVIEW = OPEN_FOR_REVIEW

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="proposals")
    # Denormalised from round so that per-call queries need no join; kept in sync by save().
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="proposals", editable=False)
    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, blank=True, default="")
    project_summary = models.TextField(blank=True, default="")
    description = models.TextField(blank=True, default="")
    # (addition, import only) The DOI of the work the proposal is, if it is published: detection
    # finds a reviewer whose own publication has it (a reviewer never reviews their own work).
    doi = models.CharField(max_length=255, blank=True, default="")
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT, db_index=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="created_proposals")
    team = models.ManyToManyField(User, related_name="proposals", blank=True)
    organization = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="proposals")

    objects = ProposalQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["call", "state"])]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        # The proposal's reviews are counted under its call (referee.api.row_counts), and a
        # database guard refuses a move: it moves between rounds of its call only.
        if self.pk and self.round_id and self.round.call_id != self.call_id:
            raise ValidationError({"round": f"A proposal stays in its call: choose a round of {self.call}."})

    def save(self, *args, **kwargs):
        self.call_id = self.round.call_id
        super().save(*args, **kwargs)

    @property
    def is_open_for_review(self) -> bool:
        return self.state in self.OPEN_FOR_REVIEW
