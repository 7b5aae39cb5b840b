"""Review states (§2)."""

from django.db import models


class ReviewState(models.TextChoices):
    IN_REVIEW = "in_review"
    SUBMITTED = "submitted"
    REJECTED = "rejected"
