"""queue_mail: rendered in the caller's transaction, deduplicated, delivered after commit."""

from pathlib import Path

import pytest
from django.core import mail
from django.db import transaction

from referee.notifications import mails
from referee.notifications.models import OutboxMessage
from referee.notifications.outbox import queue_mail, render, tidy, when
from tests.helpers import MAIL_NOW

pytestmark = pytest.mark.django_db


def test_queueing_twice_keeps_one_row_and_the_callers_transaction_usable(mailworld):
    with transaction.atomic():
        first = mails.invitation_for_batch(mailworld.batch)
        assert mails.invitation_for_batch(mailworld.batch) is None
        # On PostgreSQL a failed INSERT outside a savepoint would break every later query.
        assert OutboxMessage.objects.count() == 1
    assert OutboxMessage.objects.get().pk == first.pk


def test_delivery_waits_for_commit(mailworld, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = mails.pool_invitation(mailworld.entry)
    assert len(callbacks) == 1 and mail.outbox == []
    callbacks[0]()
    message.refresh_from_db()
    assert message.status == "sent" and message.sent_at == MAIL_NOW
    [sent] = mail.outbox
    assert sent.to == ["rita@example.org"] and sent.subject == message.subject
    assert sent.alternatives[0][1] == "text/html"


def test_duplicate_schedules_no_second_delivery(mailworld, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        mails.pool_invitation(mailworld.entry)
        mails.pool_invitation(mailworld.entry)
    assert len(callbacks) == 1 and len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_rolled_back_cause_leaves_no_mail(mailworld):
    with pytest.raises(RuntimeError), transaction.atomic():
        mails.invitation_for_batch(mailworld.batch)
        raise RuntimeError("the business action failed")
    assert not OutboxMessage.objects.exists() and mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_commit_delivers_at_once_without_a_broker(mailworld):
    with transaction.atomic():
        mails.invitation_for_batch(mailworld.batch)
        assert mail.outbox == []
    assert len(mail.outbox) == 1 and OutboxMessage.objects.get().status == "sent"


def test_no_recipient_queues_nothing(mailworld):
    mailworld.rita.email = ""
    mailworld.rita.save()
    assert mails.reminder_for_batch(mailworld.batch) is None
    assert queue_mail("reviewer_invitation", to=["", "  "], context={}, dedupe_key="k") is None
    assert not OutboxMessage.objects.exists()


def test_deployment_templates_override_the_defaults(settings, tmp_path: Path):
    override = tmp_path / "notifications" / "reviewer_invitation"
    override.mkdir(parents=True)
    (override / "subject.txt").write_text("Join {{ call_name }} & help")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    subject, text, html = render("reviewer_invitation", {"call_name": "Ocean <Science>", "reviewer": {"name": "R"}})
    assert subject == "Join Ocean <Science> & help"  # plain text is never HTML-escaped
    assert "Ocean &lt;Science&gt;" in html  # the untouched default HTML still escapes


def test_formatting_helpers():
    assert when(MAIL_NOW) == "2026-03-03 12:00 UTC" and when(None) == ""
    assert tidy("a  \n\n\n\nb\n\n") == "a\n\nb\n"
