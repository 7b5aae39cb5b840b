"""Conflicts of interest and the jobs that detect them (§2, §4.4, §5.7, §5.8)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from referee.calls.models import COI_TYPES, Call, Proposal
from referee.conflicts import enums
from referee.conflicts.querysets import COIQuerySet
from referee.core.models import Customer, User, UUIDModel
from referee.core.querysets import ManagedCallRowsQuerySet
from referee.reviewers.models import ReviewerProfile


class ConflictOfInterest(UUIDModel):
    Severity = enums.Severity
    Method = enums.DetectionMethod
    Status = enums.ConflictStatus

    reviewer = models.ForeignKey(ReviewerProfile, on_delete=models.CASCADE, related_name="conflicts")
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="conflicts")
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="conflicts")
    conflicting_user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    conflicting_organization = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    coi_type = models.CharField(max_length=16, choices=COI_TYPES)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    detection_method = models.CharField(max_length=24, choices=Method.choices, default=Method.AUTOMATED)
    detected_at = models.DateTimeField(default=timezone.now, db_index=True)
    evidence_description = models.TextField(blank=True, default="")
    evidence_data = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    # Derived from the call's COI configuration by conflicts.rules (set on creation, re-applied on change).
    rule = models.CharField(max_length=24, choices=enums.CoiRule.choices, default=enums.CoiRule.DISCLOSURE_ONLY)
    reviewed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_notes = models.TextField(blank=True, default="")
    management_plan = models.TextField(blank=True, default="")

    objects = COIQuerySet.as_manager()

    class Meta:
        ordering = ["-detected_at", "-id"]
        indexes = [models.Index(fields=["call", "reviewer", "proposal"])]
        # "null as a value" (§2): one partial index for rows with a conflicting user, one without.
        constraints = [
            models.UniqueConstraint(
                fields=["reviewer", "proposal", "coi_type", "conflicting_user"],
                condition=Q(conflicting_user__isnull=False),
                name="coi_unique_with_user",
            ),
            models.UniqueConstraint(
                fields=["reviewer", "proposal", "coi_type"],
                condition=Q(conflicting_user__isnull=True),
                name="coi_unique_without_user",
            ),
        ]


class COIDetectionJob(UUIDModel):
    JobType = enums.JobType
    State = enums.JobState

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="coi_detection_jobs")
    job_type = models.CharField(max_length=16, choices=JobType.choices, default=JobType.FULL_CALL)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING, db_index=True)
    total_pairs = models.PositiveIntegerField(default=0)
    processed_pairs = models.PositiveIntegerField(default=0)
    conflicts_found = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    error_message = models.TextField(blank=True, default="")
    config_snapshot = models.JSONField(default=dict, blank=True)
    # What the run checked per detector and why it may have found nothing (issue 10); null until it runs.
    result = models.JSONField(null=True, blank=True, default=None)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = ManagedCallRowsQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["call"], condition=Q(state__in=["pending", "running"]), name="one_active_detection_job_per_call"
            )
        ]

    @property
    def progress_percentage(self) -> float:
        return round(100.0 * self.processed_pairs / self.total_pairs, 1) if self.total_pairs else 0.0
