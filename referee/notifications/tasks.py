"""Celery entry points of the outbox: ids in, one delivery call (§6, "outbox: on commit + 1 min")."""

from celery import shared_task
from django.db import DatabaseError

from referee.notifications import delivery

# SMTP failures are recorded on the row and retried by the sweep (the back-off survives restarts);
# Celery's own retry only covers the database being briefly unavailable or locked.
RETRY = {"autoretry_for": (DatabaseError,), "retry_backoff": 30, "retry_backoff_max": 600, "max_retries": 5}


@shared_task(acks_late=True, **RETRY)
def deliver_outbox(message_id: int) -> bool:
    return delivery.deliver(message_id)


@shared_task(acks_late=True, **RETRY)
def deliver_due_mail() -> int:
    return delivery.deliver_due()
