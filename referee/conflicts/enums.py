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
