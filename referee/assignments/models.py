"""Affinity cache, proposed assignments, assignment batches and their items (§2, §4.1, §4.2)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from referee.assignments import enums
from referee.assignments.querysets import BatchQuerySet, ItemQuerySet
from referee.calls.models import Call, Proposal
from referee.conflicts.enums import JobState
from referee.conflicts.models import ConflictOfInterest
from referee.core.derived import derived
from referee.core.models import User, UUIDModel
from referee.core.querysets import CountedCallRowsQuerySet, ManagedCallRowsQuerySet
from referee.reviewers.models import CallReviewerPool, ReviewerProfile


class AffinityScore(UUIDModel):
    """A derived cache of P×R rows rewritten wholesale by one COPY (affinities.py), kept cheap to
    write: foreign keys enforced by Django's cascade rather than by PostgreSQL, no index on
    `created` or on affinity order, and the pair index led by the proposal, the order rows are
    written in. Checking half a million deferred constraints and keeping those indexes more than
    doubled the cache write of a cold `generate-assignments` (docs/decisions.md)."""

    created = models.DateTimeField(default=timezone.now, editable=False)
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="affinity_scores", db_constraint=False)
    reviewer = models.ForeignKey(ReviewerProfile, on_delete=models.CASCADE, related_name="affinity_scores",
                                 db_constraint=False)
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="affinity_scores",
                                 db_constraint=False, db_index=False)  # (proposal, reviewer) serves
    affinity_score = models.FloatField()
    keyword_score = models.FloatField(null=True, blank=True)
    text_score = models.FloatField(null=True, blank=True)
    # The reviewer's ReviewerPublication most similar to the proposal when computed (the text
    # score's publication part) and their cosine; 0 when none shares a term. A plain number, not a foreign key:
    # written by the same COPY as the rest, where every row must have the same layout (no NULL).
    best_publication_pk = models.BigIntegerField(default=0)
    best_publication_similarity = models.FloatField(default=0.0)  # its raw TF-IDF cosine
    method = models.CharField(max_length=16)
    keyword_weight = models.FloatField()
    text_weight = models.FloatField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["proposal", "reviewer"], name="affinity_unique_per_pair")]


class ProposedAssignment(UUIDModel):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="proposed_assignments")
    reviewer = models.ForeignKey(ReviewerProfile, on_delete=models.CASCADE, related_name="proposed_assignments")
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="proposed_assignments")
    affinity_score = models.FloatField()
    # A randomized generation's chance of drawing this pair (issue 14); null: not drawn at random.
    probability = models.FloatField(null=True, blank=True)
    # A pair a manager added to the preview (console edits); its algorithm_used stays the call's
    # algorithm, since Waldur's client reads that key as one of the three algorithms.
    added_by_hand = models.BooleanField(default=False)
    algorithm_used = models.CharField(max_length=16)
    rank = models.PositiveSmallIntegerField()
    is_deployed = models.BooleanField(default=False)
    deployed_at = models.DateTimeField(null=True, blank=True)
    deployed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = CountedCallRowsQuerySet.as_manager()

    class Meta:
        ordering = ["proposal__name", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["call", "reviewer", "proposal"], name="proposed_unique_per_pair")
        ]


class AssignmentBatch(UUIDModel):
    Status = enums.BatchStatus
    Source = enums.BatchSource

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="assignment_batches")
    reviewer_pool_entry = models.ForeignKey(CallReviewerPool, on_delete=models.CASCADE, related_name="batches")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.ALGORITHM)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    manager_notes = models.TextField(blank=True, default="")
    reminder_sent = models.BooleanField(default=False)
    manager_notified = models.BooleanField(default=False)

    objects = BatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "uuid"]
        verbose_name_plural = "assignment batches"
        constraints = [
            models.UniqueConstraint(
                fields=["call", "reviewer_pool_entry"], condition=Q(status="draft"), name="one_draft_batch_per_pool_entry"
            )
        ]
        # The cancelled batches' ids from the index alone: a reviewer's stats leave out the items
        # that expired in one (reviewers.queries.reviewer_stats), and PostgreSQL hashes all of
        # them (11,600 of 100,000 batches: 2.6 ms from the table, 0.7 ms from this index).
        indexes = [models.Index(fields=["id"], condition=Q(status="cancelled"), name="batch_cancelled_ids")]

    def __str__(self) -> str:
        return f"{self.get_status_display()} batch for {self.reviewer_pool_entry_id}"

    @derived("expires_at")
    def is_expired(expires_at) -> bool:
        return expires_at is not None and expires_at <= timezone.now()

    @property
    def accepts_answers(self) -> bool:
        """Its items can still be answered (or reopened): neither expired nor cancelled, and the
        deadline not passed (§4.2). Asked by the item actions, the COI effects and the pages."""
        return self.status not in (enums.BatchStatus.EXPIRED, enums.BatchStatus.CANCELLED) and not self.is_expired


class DeployedGeneration(UUIDModel):
    """One deployment of a generation (issue 13): a preview deployed, or a generation run
    without one (`created` is when it started writing). The items it created point to it, so
    any deployed generation of a call can be undone while its drafts are unsent, whatever was
    generated since (assignments.domain.undo)."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="deployed_generations")
    preview_uuid = models.UUIDField(null=True, blank=True)  # the GenerationPreview deployed; null: none
    deployed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created", "-id"]


class AssignmentItem(UUIDModel):
    Status = enums.ItemStatus

    # Statuses that hold a (pool entry, proposal) pair: never two at once (§2).
    HOLDING = (enums.ItemStatus.PENDING, enums.ItemStatus.ACCEPTED, enums.ItemStatus.COI_BLOCKED)

    batch = models.ForeignKey(AssignmentBatch, on_delete=models.CASCADE, related_name="items")
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="assignment_items")
    pool_entry = models.ForeignKey(CallReviewerPool, on_delete=models.CASCADE, related_name="items", editable=False)
    # The batch's call, copied on creation (`copy_from_batch`) and never changed (a guard): a
    # manager's items are found by their calls, as their batches are, rather than through the
    # set of every batch of those calls (docs/decisions.md, "List performance").
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="+", editable=False, db_index=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    affinity_score = models.FloatField(null=True, blank=True)
    has_coi = models.BooleanField(default=False)
    coi_records = models.ManyToManyField(ConflictOfInterest, related_name="assignment_items", blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True, default="")
    review = models.OneToOneField(
        "reviews.Review", null=True, blank=True, on_delete=models.SET_NULL, related_name="assignment_item"
    )
    reassigned_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reassign_count = models.PositiveSmallIntegerField(default=0)
    override_reason = models.TextField(blank=True, default="")
    overridden_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    overridden_at = models.DateTimeField(null=True, blank=True)
    # The deployed generation that created it; null for an item made by hand, by CSV or a reassign.
    generation = models.ForeignKey(DeployedGeneration, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="items")

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "uuid"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "proposal"], name="item_unique_per_batch_proposal"),
            models.UniqueConstraint(
                fields=["pool_entry", "proposal"], condition=Q(status__in=["pending", "accepted", "coi_blocked"]),
                name="one_holding_item_per_reviewer_proposal",
            ),
            models.CheckConstraint(
                condition=Q(has_coi=True, status="coi_blocked") | (Q(has_coi=False) & ~Q(status="coi_blocked")),
                name="item_has_coi_iff_blocked",
            ),
        ]
        # A manager's items by call, and counted by status from the index alone (a manager's
        # 15,000 accepted items: 13 ms read from the status index and the table).
        indexes = [
            models.Index(fields=["call", "status"], name="item_call_status"),
            # A page of reviewer profiles counts its pool entries' declined and expired items
            # (reviewers.queries.reviewer_stats) from this index alone, not from 1,400 table
            # pages (PostgreSQL only: SQLite has no INCLUDE and indexes the key alone).
            models.Index(fields=["pool_entry"], include=["id", "status", "responded_at", "batch"],
                         condition=Q(status__in=enums.STATS_ITEM_STATUSES), name="item_stats_by_entry"),
        ]

    def save(self, *args, **kwargs):
        self.copy_from_batch()
        super().save(*args, **kwargs)

    def copy_from_batch(self) -> None:
        """The pool entry and the call are the batch's (`save`, and `bulk_create` of the queryset)."""
        if self.pool_entry_id is None:
            self.pool_entry_id = self.batch.reviewer_pool_entry_id
        if self.call_id is None:
            self.call_id = self.batch.call_id


class GenerationPreview(UUIDModel):
    """The call's latest dry run of `generate-assignments` (issue 10): what it was asked, what it
    reported, and digests of every input its solve depended on (`candidates.fingerprint`), so that
    deploying it creates exactly its undeployed ProposedAssignment rows or refuses. One per call:
    every generation replaces it, as it replaces the rows."""

    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="generation_preview")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    proposal_uuids = models.JSONField(null=True, blank=True)  # hex, as asked; null: every open proposal
    reviewers_per_proposal = models.PositiveSmallIntegerField(null=True, blank=True)
    fingerprint = models.JSONField()
    report = models.JSONField()
    deployed_at = models.DateTimeField(null=True, blank=True)
    deployed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")


class MatchingJob(UUIDModel):
    """A long engine action of a call run by a background worker (issue 13): computing the call's
    affinities, or a generation (a preview or a deployment), so that no request waits for it.
    Progress is `processed` of `total` steps with the step under way named in `stage`; a job is
    cancelled by its managers until its work writes, and a job a lost worker left is failed by
    `assignments.jobs.fail_stalled_matching_jobs`. One pending or running job per call and kind."""

    Kind = enums.MatchingJobKind
    State = JobState

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="matching_jobs")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING, db_index=True)
    # What a generation was asked: dry_run, proposal_uuids (hex or null), reviewers_per_proposal.
    parameters = models.JSONField(default=dict, blank=True)
    stage = models.CharField(max_length=200, blank=True, default="")
    processed = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    # Affinities: {"computed_count"}; generation: the generate-assignments answer. Null until completed.
    result = models.JSONField(null=True, blank=True, default=None)
    error_message = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = ManagedCallRowsQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(fields=["call", "kind"], condition=Q(state__in=["pending", "running"]),
                                    name="one_active_matching_job_per_call_and_kind")
        ]

    @property
    def progress_percentage(self) -> float:
        return round(100.0 * self.processed / self.total, 1) if self.total else 0.0

    @property
    def is_active(self) -> bool:
        return self.state in (JobState.PENDING, JobState.RUNNING)
