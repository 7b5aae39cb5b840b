"""Celery entry point of the pool invitation expiry (§6): one call; scheduled like every job."""

from celery import shared_task

from referee.notifications.tasks import RETRY
from referee.reviewers import jobs


@shared_task(acks_late=True, **RETRY)
def expire_pool_invitations() -> int:
    return jobs.expire_pool_invitations()
