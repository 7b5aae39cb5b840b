"""Delivery statuses of outbox messages."""

from django.db import models


class OutboxStatus(models.TextChoices):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
