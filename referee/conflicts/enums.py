"""Conflict severities, statuses and detection methods; detection job kinds and states (§2, §5.7)."""

from django.db import models


class Severity(models.TextChoices):
    REAL = "real"
    APPARENT = "apparent"
    POTENTIAL = "potential"


class DetectionMethod(models.TextChoices):
    AUTOMATED = "automated"
    SELF_DISCLOSED = "self_disclosed"
    MANAGER_IDENTIFIED = "manager_identified"
    REPORTED = "reported"


class ConflictStatus(models.TextChoices):
    PENDING = "pending", "Pending review"
    DISMISSED = "dismissed"
    WAIVED = "waived"
    RECUSED = "recused"


class JobType(models.TextChoices):
    FULL_CALL = "full_call"
    INCREMENTAL = "incremental"
    SINGLE_PAIR = "single_pair"


class JobState(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class CoiRule(models.TextChoices):
    """The §5.8 rule that governs a conflict (stored on it: `conflicts.rules`). Labels are the
    values, as they always were, so the column's choices need no migration."""

    RECUSAL_REQUIRED = "recusal_required", "recusal_required"
    MANAGEMENT_ALLOWED = "management_allowed", "management_allowed"
    DISCLOSURE_ONLY = "disclosure_only", "disclosure_only"
