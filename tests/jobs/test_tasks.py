"""The jobs' Celery tasks and their beat schedule (§6): every entry names a registered task, at
the contract's interval; the tasks are one call each."""

import pytest
from django.conf import settings

from referee.assignments import tasks as batch_tasks
from referee.celery import app
from referee.conflicts import tasks as coi_tasks
from referee.reviewers import tasks as pool_tasks
from referee.reviews import tasks as review_tasks
from tests import factories as f
from tests.helpers import NOW

MINUTE, HOUR = 60, 3600


def test_beat_schedule_of_the_contract():
    app.loader.import_default_modules()
    schedule = {name: (entry["task"], entry["schedule"]) for name, entry in settings.CELERY_BEAT_SCHEDULE.items()}
    assert schedule == {
        "deliver-due-mail": ("referee.notifications.tasks.deliver_due_mail", MINUTE),
        "expire-assignment-batches": (batch_tasks.expire_assignment_batches.name, 15 * MINUTE),
        "send-assignment-reminders": (batch_tasks.send_assignment_reminders.name, 15 * MINUTE),
        "notify-expired-assignment-batches": (batch_tasks.notify_expired_assignment_batches.name, 15 * MINUTE),
        "expire-pool-invitations": (pool_tasks.expire_pool_invitations.name, 15 * MINUTE),
        "reject-overdue-reviews": (review_tasks.reject_overdue_reviews.name, HOUR),
        "fail-stalled-detection-jobs": (coi_tasks.fail_stalled_detection_jobs.name, 15 * MINUTE),
        "fail-stalled-matching-jobs": (batch_tasks.fail_stalled_matching_jobs.name, 15 * MINUTE),
    }
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
        # a run still queued when the next one is due is dropped (django-celery-beat's key)
        assert 0 < entry["options"]["expire_seconds"] < entry["schedule"]


@pytest.mark.django_db
def test_tasks_run_the_jobs(world, clock):
    f.batch(world.entry, status="sent", expires_at=NOW)
    f.pool_entry(world.call, f.profile(f.user()), status="pending", invitation_expires_at=NOW)
    # Without a broker (the test settings) delay() runs in-process and returns the job's count.
    assert batch_tasks.send_assignment_reminders.delay().get() == 0
    assert batch_tasks.expire_assignment_batches.delay().get() == 1
    assert batch_tasks.notify_expired_assignment_batches.delay().get() == 1
    assert pool_tasks.expire_pool_invitations.delay().get() == 1
    assert review_tasks.reject_overdue_reviews.delay().get() == 0


def test_tasks_acknowledge_late():
    for task in (batch_tasks.expire_assignment_batches, batch_tasks.send_assignment_reminders,
                 batch_tasks.notify_expired_assignment_batches, pool_tasks.expire_pool_invitations,
                 review_tasks.reject_overdue_reviews, coi_tasks.fail_stalled_detection_jobs,
                 batch_tasks.fail_stalled_matching_jobs, batch_tasks.run_matching_job):
        assert task.acks_late is True
