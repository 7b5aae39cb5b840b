"""Delivery through a real SMTP server: once after commit, retried with back-off, never twice."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from referee.notifications import delivery, mails, tasks
from referee.notifications.models import OutboxMessage
from tests.helpers import MAIL_NOW, race

pytestmark = pytest.mark.django_db(transaction=True)


def rows():
    return list(OutboxMessage.objects.order_by("id"))


def queue_two(world):
    with transaction.atomic():
        mails.invitation_for_batch(world.batch)
        mails.pool_invitation(world.entry)


def test_commit_delivers_text_html_and_calendar_once(mailworld, smtp):
    smtp.start()
    with transaction.atomic():
        mails.invitation_for_batch(mailworld.batch)
    [received] = smtp.messages
    assert received["To"] == "rita@example.org"
    assert received["Subject"] == 'You have 2 proposal(s) to review for "Ocean Science 2026"'
    parts = {part.get_content_type(): part for part in received.walk() if not part.is_multipart()}
    assert set(parts) == {"text/plain", "text/html", "text/calendar"}
    assert "Kelp forests" in parts["text/plain"].get_content()
    assert "<strong>Kelp forests</strong>" in parts["text/html"].get_content()
    assert parts["text/calendar"].get_filename() == "deadline.ics"
    assert "DTEND:20260310T120000Z" in parts["text/calendar"].get_content()
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts, message.sent_at) == ("sent", 0, MAIL_NOW)
    assert delivery.deliver(message.pk) is False and delivery.deliver_due() == 0
    assert len(smtp.messages) == 1


def test_a_sent_rows_text_keeps_no_sign_in_link_while_the_mailed_link_still_works(mailworld, smtp, client):
    smtp.start()
    with transaction.atomic():
        mails.invitation_for_batch(mailworld.batch)
    [received] = smtp.messages
    text = received.get_body(("plain",)).get_content()
    [path] = re.findall(r"http://[^/]+(/signin/[A-Za-z0-9_-]{43}/)", text)
    message = OutboxMessage.objects.get()
    assert message.status == "sent"
    assert "/signin/[delivered]/" in message.body_text and "/signin/[delivered]/" in message.body_html
    assert path not in message.body_text + message.body_html
    assert not re.search(r"/signin/[A-Za-z0-9_-]{43}/", message.body_text + message.body_html)
    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == "/reviews/assignments/"


def test_server_down_then_back_each_message_delivered_exactly_once(mailworld, smtp, clock):
    queue_two(mailworld)  # the server is down: both on-commit attempts fail
    expected = ("queued", 1, MAIL_NOW + timedelta(minutes=1))
    assert [(m.status, m.attempts, m.next_attempt_at) for m in rows()] == [expected] * 2
    assert all("Connection" in m.last_error for m in rows())

    assert delivery.deliver_due() == 0  # back-off: nothing due yet
    clock.shift(timedelta(minutes=1))
    assert delivery.deliver_due() == 0
    assert {(m.attempts, m.next_attempt_at) for m in rows()} == {(2, MAIL_NOW + timedelta(minutes=3))}

    smtp.start()
    clock.shift(timedelta(minutes=1))
    assert delivery.deliver_due() == 0 and smtp.messages == []  # still backing off
    clock.shift(timedelta(minutes=1))
    assert tasks.deliver_due_mail.delay().get() == 2
    assert tasks.deliver_due_mail.delay().get() == 0
    assert sorted(m["Subject"] for m in smtp.messages) == sorted(m.subject for m in rows())
    assert {(m.status, m.attempts, m.last_error) for m in rows()} == {("sent", 2, "")}


def test_gives_up_after_five_attempts(mailworld, smtp, clock):
    with transaction.atomic():
        message = mails.pool_invitation(mailworld.entry)
    for wait in (1, 2, 4, 8):
        clock.shift(timedelta(minutes=wait))
        delivery.deliver_due()
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 5)
    smtp.start()
    clock.shift(timedelta(hours=1))
    assert delivery.deliver_due() == 0 and delivery.deliver(message.pk) is False and smtp.messages == []


def test_a_message_is_not_sent_before_it_is_due(mailworld, smtp):
    with transaction.atomic():
        message = mails.pool_invitation(mailworld.entry)  # fails: server down
    smtp.start()
    assert tasks.deliver_outbox.delay(message.pk).get() is False and smtp.messages == []


@pytest.mark.concurrency
def test_concurrent_deliveries_send_one_mail(mailworld, smtp):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    message = OutboxMessage.objects.create(dedupe_key="race", template="t", to=["rita@example.org"],
                                           subject="Race", body_text="Only once.")
    smtp.start()
    smtp.sink.delay = 0.5  # the first sender holds the row lock while the second arrives
    results = race(lambda: delivery.deliver(message.pk), lambda: delivery.deliver(message.pk))
    assert sorted(results) == [False, True]
    assert len(smtp.messages) == 1
    message.refresh_from_db()
    assert message.status == "sent"


def test_command_sweeps_due_mail(mailworld, smtp):
    with transaction.atomic():
        mails.pool_invitation(mailworld.entry)  # server down: stays queued
    smtp.start()
    OutboxMessage.objects.update(next_attempt_at=MAIL_NOW)
    out = StringIO()
    call_command("deliver_mail", stdout=out)
    assert out.getvalue().strip() == "1 sent" and len(smtp.messages) == 1
