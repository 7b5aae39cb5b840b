"""The production topology end to end (docs/deploy.md): gunicorn, a Celery worker and celery beat
as separate processes on PostgreSQL and Redis, mail through SMTP; and the embedded default,
`referee serve` without a broker, running its own worker and beat."""

import sys
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from referee.assignments.models import AssignmentBatch
from referee.notifications.models import OutboxMessage
from referee.reviewers.models import CallReviewerPool
from tests import factories as f
from tests.live.conftest import call_with_draft, send
from tests.live.processes import START_TIMEOUT, healthy, wait_until
from tests.notifications.conftest import free_port

pytestmark = pytest.mark.live


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
    """The embedded default: `referee serve` starts a Celery worker and beat of its own over the
    SQLite broker under var/. Jobs overdue when it starts (it was down past their interval) run at
    once; mail is delivered by its worker."""
    sink.start()
    manager, batch = call_with_draft()  # expired while the server was down; the notice not yet sent
    batch.status, batch.sent_at = "expired", timezone.now() - timedelta(days=8)
    batch.expires_at = timezone.now() - timedelta(hours=1)
    batch.save()
    overdue = f.batch(f.pool_entry(batch.call, f.profile(f.user("tom", email="tom@example.org"))), status="sent",
                      sent_at=timezone.now() - timedelta(days=8), expires_at=timezone.now() - timedelta(minutes=5))
    f.item(overdue, f.proposal(f.round_(batch.call)))
    entry = f.pool_entry(batch.call, f.profile(f.user("sam", email="sam@example.org")), status="pending",
                         invited_by=manager, invitation_expires_at=timezone.now() - timedelta(minutes=1))
    an_hour_ago = timezone.now() - timedelta(hours=1)
    for name, spec in settings.CELERY_BEAT_SCHEDULE.items():  # as a server down for an hour left them
        interval, _ = IntervalSchedule.objects.get_or_create(every=int(spec["schedule"]), period="seconds")
        PeriodicTask.objects.create(name=name, task=spec["task"], interval=interval, last_run_at=an_hour_ago)

    port = free_port()
    serve = stack.spawn("serve", [sys.executable, "-m", "referee.cli", "serve", "--port", str(port),
                                  "--workers", "1", "--threads", "2"], CELERY_BROKER_URL="")
    wait_until(lambda: healthy(f"http://127.0.0.1:{port}", serve), START_TIMEOUT, what="referee serve to answer")

    expected = {
        ("manager-rita@example.org", f'Review invitation to Rita Tester expired for "{batch.call.name}"'),
        ("manager-rita@example.org", f'Reviewer invitation to Sam Tester expired for "{batch.call.name}"'),
    }
    wait_until(lambda: {(m["To"], m["Subject"]) for m in sink.messages} >= expected,
               what="the notices of the periodic jobs")
    wait_until(lambda: AssignmentBatch.objects.filter(pk=overdue.pk, status="expired").exists(),
               what="the overdue batch to expire")
    time.sleep(0.5)
    # The notice of the batch expired just now comes from the notice job's next run, which may
    # have started before the expiry ended (they run side by side, as in production).
    subjects = Counter((m["To"], m["Subject"]) for m in sink.messages)
    assert set(subjects) - expected <= {("manager-rita@example.org",
                                         f'Review invitation to Tom Tester expired for "{batch.call.name}"')}
    assert set(subjects.values()) == {1}
    batch.refresh_from_db()
    assert batch.manager_notified
    assert CallReviewerPool.objects.get(pk=entry.pk).invitation_status == "expired"
    output = serve.output()
    assert "embedded@" in output and "beat: Starting..." in output
    assert "Sending due task expire-assignment-batches" in output
    assert serve.stop() == 0  # SIGTERM: a clean exit, worker and beat stopped with it
    assert "Traceback" not in serve.output()
