"""Faults (§6: "delivered after commit, ≤ 5 attempts with back-off, never twice"; jobs "lock and
re-check their rows, so concurrent runs are harmless"): the SMTP server down while batches are
sent, a worker killed in the middle of a delivery, a job run twice at the same time."""

import time
import uuid
from datetime import timedelta

import pytest
from django.core import mail as django_mail
from django.db import connection
from django.utils import timezone

from referee.assignments import jobs
from referee.assignments.models import AssignmentBatch
from referee.core.models import AuditEvent
from referee.notifications.models import OutboxMessage
from tests import factories as f
from tests.helpers import race
from tests.live.conftest import call_with_draft, send
from tests.live.processes import TIMEOUT, wait_until

pytestmark = pytest.mark.live
DELIVER = "referee.notifications.tasks.deliver_outbox"
SWEEP = "referee.notifications.tasks.deliver_due_mail"


def test_smtp_down_while_sending_then_every_mail_arrives_once(stack, sink, producer):
    web = stack.web(wait=False)
    stack.worker(wait=False)
    drafts = [call_with_draft(name) for name in ("ann", "ben", "cat")]
    stack.wait_ready()

    for manager, batch in drafts:  # the sink is down: each on-commit delivery fails
        assert send(web.url, manager, batch).status_code == 200
    wait_until(lambda: OutboxMessage.objects.filter(attempts=1).count() == 3, what="three failed first attempts")
    rows = list(OutboxMessage.objects.all())
    assert {(m.status, m.sent_at) for m in rows} == {("queued", None)}
    assert all("Connection" in m.last_error or "refused" in m.last_error for m in rows)

    sink.start()
    # The minute of back-off is over (instead of waiting for it); two sweeps race for the rows.
    OutboxMessage.objects.update(next_attempt_at=timezone.now())
    producer.send_task(SWEEP)
    producer.send_task(SWEEP)
    wait_until(lambda: len(sink.messages) >= 3, what="the three invitations")
    wait_until(lambda: OutboxMessage.objects.filter(status="sent").count() == 3, what="the rows marked sent")
    time.sleep(0.5)  # room for a duplicate to show up
    assert sorted(m["To"] for m in sink.messages) == ["ann@example.org", "ben@example.org", "cat@example.org"]
    assert {(m.status, m.attempts, m.last_error) for m in OutboxMessage.objects.all()} == {("sent", 1, "")}


def test_worker_killed_mid_delivery_the_next_worker_sends_it_once(stack, sink, producer):
    """acks_late: the task is acknowledged only when it finished, so a worker dying in the middle
    of it (kill -9: main process and pool child) leaves the message to the next worker, and the
    half-done delivery rolled back with the dead connection, so nothing is recorded as sent."""
    sink.start()
    sink.sink.hold = True  # the first delivery hangs at RCPT: mid-task, nothing accepted yet
    queue = f"smoke-faults-{uuid.uuid4().hex[:8]}"
    first = stack.worker("worker-1", queue=queue, app="tests.live.celery_app", concurrency=1)
    row = OutboxMessage.objects.create(dedupe_key="smoke:kill", template="smoke", to=["kim@example.org"],
                                       subject="Survives a dead worker", body_text="Sent once.\n")

    producer.send_task(DELIVER, args=[row.pk], queue=queue)
    assert sink.sink.held.wait(TIMEOUT), f"the delivery never reached the sink:\n{first.tail()}"
    first.kill()
    sink.sink.hold = False

    second = stack.worker("worker-2", queue=queue, app="tests.live.celery_app", concurrency=1)
    wait_until(lambda: sink.messages, what="the redelivered task's mail")
    wait_until(lambda: OutboxMessage.objects.filter(pk=row.pk, status="sent").exists(), what="the row marked sent")
    time.sleep(0.5)
    assert [m["Subject"] for m in sink.messages] == ["Survives a dead worker"]
    row.refresh_from_db()
    assert row.attempts == 0  # the killed attempt left no trace: its transaction died with it
    assert f"Task {DELIVER}[" in second.output() and "succeeded" in second.output()


def sent_batches(world, count, expires_at):
    batches = []
    for _ in range(count):
        batch = f.batch(f.pool_entry(world.call, f.profile(f.user())), status="sent", expires_at=expires_at)
        f.item(batch, world.proposal)
        batches.append(batch)
    return batches


@pytest.fixture
def postgres_only(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races need PostgreSQL (SQLite runs one writer at a time)")


@pytest.mark.usefixtures("postgres_only")
def test_the_reminder_job_twice_at_once_sends_one_reminder_per_batch(world):
    django_mail.outbox.clear()
    batches = []
    for _ in range(3):  # a few rounds: the threads interleave differently each time
        batches += sent_batches(world, 10, timezone.now() + timedelta(days=1))
        assert sum(race(jobs.send_reminders, jobs.send_reminders)) == 10

    reminders = OutboxMessage.objects.filter(template="assignment_expiry_reminder")
    assert sorted(reminders.values_list("dedupe_key", flat=True)) == sorted(
        f"reminder:{b.uuid.hex}:{b.expires_at.isoformat().replace('+00:00', 'Z')}" for b in batches)
    assert len(django_mail.outbox) == 30  # each delivered once, after its commit
    assert set(AssignmentBatch.objects.values_list("reminder_sent", flat=True)) == {True}
    assert AuditEvent.objects.filter(event_type="ASSIGNMENT_BATCH_REMINDER_SENT").count() == 30


@pytest.mark.usefixtures("postgres_only")
def test_expiry_and_notice_twice_at_once_change_each_batch_once(world):
    sent_batches(world, 10, timezone.now() - timedelta(minutes=1))
    assert sum(race(jobs.expire_batches, jobs.expire_batches)) == 10
    assert sum(race(jobs.notify_expired_batches, jobs.notify_expired_batches)) == 10
    assert AuditEvent.objects.filter(event_type="ASSIGNMENT_BATCH_EXPIRED").count() == 10
    assert OutboxMessage.objects.filter(template="assignment_batch_expired").count() == 10
