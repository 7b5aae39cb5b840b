"""Celery entry point of the overdue review job (§6): one call; scheduled like every job."""

from celery import shared_task

from referee.notifications.tasks import RETRY
from referee.reviews import jobs


@shared_task(acks_late=True, **RETRY)
def reject_overdue_reviews() -> int:
    return jobs.reject_overdue_reviews()
