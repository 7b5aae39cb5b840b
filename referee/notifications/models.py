"""The mail outbox: rendered in the cause's transaction, delivered after commit (§6, Outbox)."""

from django.db import models
from django.utils import timezone

from referee.core.models import UUIDModel
from referee.notifications import enums


class OutboxMessage(UUIDModel):
    Status = enums.OutboxStatus

    # e.g. "invitation:<batch hex>:<sent_at iso>": a second insert with the same key is skipped.
    dedupe_key = models.CharField(max_length=255, unique=True)
    template = models.CharField(max_length=64)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=998)
    body_text = models.TextField()
    body_html = models.TextField(blank=True, default="")
    attachments = models.JSONField(default=list, blank=True)  # [{"filename", "content", "mimetype"}]
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["created", "id"]
