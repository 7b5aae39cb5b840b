"""Delivering queued mail: each message at most once, failures retried with back-off (§6).

A message is marked sent in the transaction that holds its row lock, right after the SMTP server
accepted it. Concurrent deliverers skip a locked row (PostgreSQL) or wait for the write lock and
then see it sent (SQLite, BEGIN IMMEDIATE), so two workers never send the same row."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from referee.core.sign_in_paths import without_tokens
from referee.notifications.models import OutboxMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(minutes=1)  # then 2, 4, 8 minutes
SWEEP_LIMIT = 200  # per run of the minute sweep; the rest waits for the next run


def backoff(attempts: int) -> timedelta:
    return FIRST_RETRY * 2 ** (attempts - 1)


def email_of(message: OutboxMessage) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(message.subject, message.body_text, settings.DEFAULT_FROM_EMAIL,
                                   message.to, headers={"Auto-Submitted": "auto-generated"})
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments:
        email.attach(attachment["filename"], attachment["content"], attachment["mimetype"])
    return email


def deliver(message_id: int) -> bool:
    """Send one queued, due message; False if it is sent, failed, not yet due, locked elsewhere
    or the server refused it this time."""
    now = timezone.now()
    with transaction.atomic():
        message = (OutboxMessage.objects.select_for_update(skip_locked=True)
                   .filter(pk=message_id, status=OutboxMessage.Status.QUEUED, next_attempt_at__lte=now)
                   .first())
        if message is None:
            return False
        try:
            email_of(message).send()
        except Exception as exc:  # noqa: BLE001 - any failure to hand over is retried later
            _record_failure(message, exc, now)
            return False
        # Crash window: the server has the mail but this commit may still be lost; the row would
        # then be sent again. Narrow (one UPDATE) and inherent to SMTP, which has no idempotency key.
        message.status = OutboxMessage.Status.SENT
        message.sent_at = timezone.now()
        message.last_error = ""
        message.body_text, message.body_html = without_tokens(message.body_text), without_tokens(message.body_html)
        message.save(update_fields=["status", "sent_at", "last_error", "body_text", "body_html", "modified"])
    return True


def _record_failure(message: OutboxMessage, exc: Exception, now) -> None:
    message.attempts += 1
    message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxMessage.Status.FAILED
        logger.error("Mail %s failed for good after %d attempts: %s", message.uuid.hex, message.attempts,
                     message.last_error)
    else:
        message.next_attempt_at = now + backoff(message.attempts)
        logger.warning("Mail %s attempt %d failed, retry at %s: %s", message.uuid.hex, message.attempts,
                       message.next_attempt_at.isoformat(), message.last_error)
    message.save(update_fields=["attempts", "last_error", "status", "next_attempt_at", "modified"])


def deliver_due(limit: int = SWEEP_LIMIT) -> int:
    """Try every queued message whose time has come, oldest first; returns how many were sent.

    One transaction per message, so a slow server holds one row lock at a time."""
    due = (OutboxMessage.objects.filter(status=OutboxMessage.Status.QUEUED, next_attempt_at__lte=timezone.now())
           .order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
    return sum(deliver(message_id) for message_id in list(due))
