"""Every mail of §6 rendered (snapshots of text and HTML), its recipients, dedupe key and disclosure."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referee.notifications import mails
from referee.notifications.models import OutboxMessage
from tests import factories as f
from tests.helpers import MAIL_NOW
from tests.notifications.conftest import as_snapshot

pytestmark = pytest.mark.django_db

BATCH = "ba000000000000000000000000000001"
SIGN_IN_LINK = re.compile(r"/signin/[A-Za-z0-9_-]{43}/")


def masked(text: str) -> str:
    """Sign-in links are random (and one-time): snapshots show where each one stands."""
    return SIGN_IN_LINK.sub("/signin/<token>/", text)


def check(snapshot, name, message):
    assert message is not None
    assert message.pk == OutboxMessage.objects.get(dedupe_key=message.dedupe_key).pk
    snapshot(f"{name}.txt", masked(as_snapshot(message)))
    snapshot(f"{name}.html", masked(message.body_html))


@pytest.mark.parametrize("level", ["titles_only", "titles_and_summaries", "full_details"])
def test_invitation_discloses_per_level_and_never_for_blocked_items(mailworld, snapshot, level):
    mailworld.call.coi_config.invitation_proposal_disclosure = level
    mailworld.call.coi_config.save()
    message = mails.invitation_for_batch(mailworld.batch)
    check(snapshot, f"invitation_{level}", message)

    assert message.subject == 'You have 2 proposal(s) to review for "Ocean Science 2026"'
    assert message.to == ["rita@example.org"]
    assert message.dedupe_key == f"invitation:{BATCH}:2026-03-03T12:00:00Z"
    for body in (message.body_text, message.body_html):
        assert "Coral bleaching" in body and "SECRET" not in body  # the blocked item: title only
        assert ("Eddies move heat." in body) == (level != "titles_only")
        assert ("40 floats" in body) == (level == "full_details")
        assert "2026-03-10 12:00 UTC" in body and "http://127.0.0.1:8000/reviews/assignments/" in body
    assert "Deep currents &amp; &lt;eddies&gt;" in message.body_html  # escaped in HTML only
    assert "Deep currents & <eddies>" in message.body_text
    [ics] = message.attachments
    assert ics["filename"] == "deadline.ics" and "DTEND:20260310T120000Z\r\n" in ics["content"]


def test_invitation_queries_do_not_grow_with_items(mailworld):
    small = f.batch(mailworld.sam_entry, status="sent")
    f.item(small, mailworld.proposals[0])
    with CaptureQueriesContext(connection) as one:
        mails.invitation_for_batch(small)
    with CaptureQueriesContext(connection) as three:
        mails.invitation_for_batch(mailworld.batch)
    assert len(one) == len(three)


def test_reminder(mailworld, snapshot, clock):
    clock.shift(timedelta(days=5))
    message = mails.reminder_for_batch(mailworld.batch)
    check(snapshot, "reminder", message)
    assert message.dedupe_key == f"reminder:{BATCH}:2026-03-10T12:00:00Z"
    assert "2 proposals awaiting" in message.body_text


def test_batch_expired_notice_goes_to_all_managers(mailworld, snapshot, clock):
    clock.shift(timedelta(days=7, minutes=15))
    mailworld.batch.status = "expired"
    mailworld.batch.save()
    mailworld.batch.items.exclude(status="coi_blocked").update(status="expired")
    message = mails.batch_expired_notice(mailworld.batch)
    check(snapshot, "batch_expired", message)
    assert message.to == ["maria@example.org", "mo@example.org"]
    assert message.dedupe_key == f"expired:{BATCH}:2026-03-10T12:00:00Z"
    assert ("http://127.0.0.1:8000/call/0c0ffee0000000000000000000000001/manage/"
            "?tab=reviewer-pool&pool_tab=assignment_batches") in message.body_text


def test_batch_expired_notice_without_managers_queues_nothing(mailworld):
    mailworld.call.managers.clear()
    assert mails.batch_expired_notice(mailworld.batch) is None
    assert not OutboxMessage.objects.exists()


def declined(world, reason="I am on leave until June."):
    item = world.items[0]
    item.status, item.decline_reason, item.responded_at = "declined", reason, MAIL_NOW
    item.save()
    return item


def test_decline_notice_with_auto_reassign(mailworld, snapshot):
    message = mails.decline_notice(declined(mailworld), reassigned_to=mailworld.sam_entry)
    check(snapshot, "declined_reassigned", message)
    assert message.dedupe_key == "decline:10000000000000000000000000000001"
    assert message.subject == 'Rita Reviewer declined to review "Deep currents & <eddies>"'


@pytest.mark.parametrize("auto, count, outcome", [
    (False, 0, "Automatic reassignment is off"),
    (True, 3, "The limit of 3 automatic reassignments was reached"),
    (True, 0, "No eligible reviewer with spare capacity was found"),
])
def test_decline_notice_explains_why_nothing_was_reassigned(mailworld, auto, count, outcome):
    config = mailworld.call.assignment_config
    config.auto_reassign_on_decline = auto
    config.save()
    item = declined(mailworld, reason="")
    item.reassign_count = count
    item.save()
    message = mails.decline_notice(item)
    assert outcome in message.body_text and outcome in message.body_html
    assert "(none given)" in message.body_text


def test_batch_cancelled(mailworld, snapshot):
    first, second, blocked = mailworld.items
    first.status = "accepted"
    first.save()
    for item in (second, blocked):
        item.status, item.has_coi = "expired", False
        item.save()
    mailworld.batch.status = "cancelled"
    mailworld.batch.save()
    message = mails.batch_cancelled(mailworld.batch)
    check(snapshot, "batch_cancelled", message)
    assert message.dedupe_key == f"cancelled:{BATCH}"
    assert message.attachments == []


def test_deadline_extended_moves_the_same_calendar_event(mailworld, snapshot):
    invitation = mails.invitation_for_batch(mailworld.batch)
    mailworld.batch.expires_at = MAIL_NOW + timedelta(days=14)
    mailworld.batch.save()
    message = mails.deadline_extended(mailworld.batch, previous_expires_at=MAIL_NOW + timedelta(days=7))
    check(snapshot, "deadline_extended", message)
    assert message.dedupe_key == f"extended:{BATCH}:2026-03-17T12:00:00Z"
    old, new = invitation.attachments[0]["content"], message.attachments[0]["content"]
    uid = f"UID:assignment-batch-{BATCH}@127.0.0.1"
    assert uid in old and uid in new
    assert "SEQUENCE:10080" in old and "SEQUENCE:20160" in new  # minutes from sending to deadline


def test_item_unblocked(mailworld, snapshot):
    mailworld.call.coi_config.invitation_proposal_disclosure = "titles_and_summaries"
    mailworld.call.coi_config.save()
    item = mailworld.items[2]
    item.status, item.has_coi = "pending", False
    item.save()
    message = mails.item_unblocked(item)
    check(snapshot, "item_unblocked", message)
    assert message.dedupe_key == "unblocked:10000000000000000000000000000003:2026-03-03T12:00:00Z"
    assert "SECRET coral summary" in message.body_text  # no longer blocked: disclosed per level
    assert "SECRET coral description" not in message.body_text


def test_pool_invitation(mailworld, snapshot):
    message = mails.pool_invitation(mailworld.entry)
    check(snapshot, "pool_invitation", message)
    token = "ab" * 32
    assert message.dedupe_key == f"pool-invitation:e0000000000000000000000000000001:{token}"
    assert f"http://127.0.0.1:8000/reviewer-invitation/{token}/" in message.body_text


def test_pool_invitation_expired_goes_to_the_inviter(mailworld, snapshot):
    message = mails.pool_invitation_expired(mailworld.entry)
    check(snapshot, "pool_invitation_expired", message)
    assert message.to == ["maria@example.org"]
    assert message.dedupe_key == "pool-expired:e0000000000000000000000000000001:2026-03-10T12:00:00Z"


def test_pool_invitation_expired_without_inviter_goes_to_the_managers(mailworld):
    mailworld.entry.invited_by = None
    mailworld.entry.save()
    assert mails.pool_invitation_expired(mailworld.entry).to == ["maria@example.org", "mo@example.org"]
