"""The production topology end to end (docs/deploy.md): gunicorn, a Celery worker and celery beat
as separate processes on PostgreSQL and Redis, mail through SMTP; and the embedded default,
`referee serve` without a broker, running the periodic jobs itself."""

import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from referee.assignments.models import AssignmentBatch
from referee.notifications.models import OutboxMessage
from referee.reviewers.models import CallReviewerPool
from tests import factories as f
from tests.notifications.conftest import free_port
from tests.smoke.conftest import START_TIMEOUT, call_with_draft, healthy, send, wait_until

pytestmark = pytest.mark.smoke


def test_batch_sent_through_gunicorn_reaches_the_reviewer_once_via_the_worker(stack, sink):
    sink.start()
    web, _, beat = stack.web(wait=False), stack.worker(wait=False), stack.beat(wait=False)
    manager, batch = call_with_draft()
    stack.wait_ready()

    response = send(web.url, manager, batch)
    assert response.status_code == 200, response.text

    wait_until(lambda: sink.messages, what="the invitation at the SMTP sink")
    wait_until(lambda: OutboxMessage.objects.filter(status="sent").exists(), what="the outbox row marked sent")
    time.sleep(0.5)  # room for a duplicate to show up
    [mail] = sink.messages
    assert mail["To"] == "rita@example.org"
    assert mail["Subject"] == f'You have 2 proposal(s) to review for "{batch.call.name}"'
    assert "http://referee.test/reviews/assignments/" in mail.get_body(("plain",)).get_content()
    [row] = OutboxMessage.objects.all()
    assert (row.template, row.status, row.attempts) == ("reviewer_assignment_invitation", "sent", 0)

    # Beat installed the schedule of settings in django-celery-beat's tables...
    wait_until(lambda: set(PeriodicTask.objects.values_list("name", flat=True)) >= set(settings.CELERY_BEAT_SCHEDULE),
               what="beat to install the schedule")
    # ...where an edit takes effect without a restart: the outbox sweep every second delivers a
    # row that nothing else would send (no on-commit delivery for a row inserted directly).
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    sweep = PeriodicTask.objects.get(name="deliver-due-mail")
    sweep.interval = every_second
    sweep.save()
    OutboxMessage.objects.create(dedupe_key="smoke:beat", template="smoke", to=["beat@example.org"],
                                 subject="Swept by beat", body_text="Beat sent the sweep, the worker ran it.\n")
    wait_until(lambda: len(sink.messages) == 2, what="beat's sweep to deliver the second mail")
    assert sink.messages[1]["Subject"] == "Swept by beat"
    assert beat.alive() and web.alive()


def test_referee_serve_without_a_broker_runs_the_periodic_jobs(stack, sink):
    """The embedded default: one process tree, jobs on a timer in the gunicorn master, mail
    delivered in-process. A deadline passed while the server was down is caught up at start."""
    sink.start()
    manager, batch = call_with_draft()
    batch.status, batch.sent_at = "sent", timezone.now() - timedelta(days=8)
    batch.expires_at = timezone.now() - timedelta(hours=1)
    batch.save()
    entry = f.pool_entry(batch.call, f.profile(f.user("sam", email="sam@example.org")), status="pending",
                         invited_by=manager, invitation_expires_at=timezone.now() - timedelta(minutes=1))

    port = free_port()
    serve = stack.spawn("serve", [sys.executable, "-m", "referee.cli", "serve", "--port", str(port),
                                  "--workers", "1", "--threads", "2"], CELERY_BROKER_URL="")
    wait_until(lambda: healthy(f"http://127.0.0.1:{port}", serve), START_TIMEOUT, what="referee serve to answer")

    wait_until(lambda: len(sink.messages) >= 2, what="the notices of the embedded jobs")
    time.sleep(0.5)
    assert sorted((m["To"], m["Subject"]) for m in sink.messages) == [
        ("manager-rita@example.org", f'Review invitation to Rita Tester expired for "{batch.call.name}"'),
        ("manager-rita@example.org", f'Reviewer invitation to Sam Tester expired for "{batch.call.name}"'),
    ]
    batch.refresh_from_db()
    assert (batch.status, batch.manager_notified) == ("expired", True)
    assert CallReviewerPool.objects.get(pk=entry.pk).invitation_status == "expired"
    assert "Embedded scheduler started" in serve.output()
    assert serve.stop() == 0  # SIGTERM: a clean exit, the timer thread does not hold it up
    assert AssignmentBatch.objects.filter(status="expired").count() == 1
