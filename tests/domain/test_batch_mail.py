"""Mail queued by the batch and pool actions (§4.1, §4.3, §6): the right mail exactly once per
action, inside its transaction, and none when the action is refused or rolled back."""

from datetime import timedelta

import pytest
from django.db import transaction

from referee.assignments import domain
from referee.core.errors import DomainError, FieldError
from referee.reviewers import domain as pool
from tests import factories as f
from tests.helpers import NOW, client_for, outbox

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

INVITATION = "reviewer_assignment_invitation"
CANCELLED = "assignment_batch_cancelled"
EXTENDED = "assignment_deadline_extended"
POOL = "reviewer_invitation"


def draft(world, entry=None):
    """A draft batch of two pending items for `entry` (default: the world's reviewer)."""
    batch = f.batch(entry or world.entry)
    for _ in range(2):
        f.item(batch, f.proposal(world.round))
    return batch


class Boom(Exception):
    pass


def rolled_back(action):
    """Run `action` inside a transaction that a later step of the same request aborts."""
    with pytest.raises(Boom), transaction.atomic():
        action()
        raise Boom


class TestSend:
    def test_invitation_once_to_the_reviewer(self, world):
        batch = domain.send_batch(draft(world), actor=world.manager)
        [mail] = outbox()
        assert (mail.template, mail.to) == (INVITATION, [world.reviewer.email])
        assert mail.dedupe_key == f"invitation:{batch.uuid.hex}:2026-03-10T12:00:00Z"
        assert mail.subject.startswith("You have 2 proposal(s) to review")

    def test_refusals_queue_nothing(self, world):
        with pytest.raises(DomainError):
            domain.send_batch(f.batch(world.entry), actor=world.manager)  # no pending item
        sent = f.batch(f.pool_entry(world.call, f.profile(f.user())), status="sent")
        with pytest.raises(DomainError):
            domain.send_batch(sent, actor=world.manager)
        assert outbox() == []

    def test_rollback_takes_the_mail_with_it(self, world):
        batch = draft(world)
        rolled_back(lambda: domain.send_batch(batch, actor=world.manager))
        batch.refresh_from_db()
        assert batch.status == "draft" and outbox() == []

    def test_send_all_mails_each_sent_batch_once(self, world):
        first = draft(world)
        other = draft(world, f.pool_entry(world.call, f.profile(f.user())))
        url = f"/api/proposal-protected-calls/{world.call.uuid.hex}/send-all-assignments/"
        response = client_for(world.manager).post(url, {}, format="json")
        assert response.status_code == 200, response.content
        assert sorted(m.dedupe_key.split(":")[1] for m in outbox(INVITATION)) == sorted(
            [first.uuid.hex, other.uuid.hex])
        assert len(outbox()) == 2


class TestCancel:
    def test_cancelling_a_sent_batch_tells_the_reviewer_once(self, world):
        batch = domain.send_batch(draft(world), actor=world.manager)
        domain.cancel_batch(batch, actor=world.manager)
        [mail] = outbox(CANCELLED)
        assert mail.to == [world.reviewer.email] and mail.dedupe_key == f"cancelled:{batch.uuid.hex}"
        assert len(outbox()) == 2  # the invitation and the notice

    def test_cancelling_a_draft_mails_nobody(self, world):
        domain.cancel_batch(draft(world), actor=world.manager)
        assert outbox() == []

    def test_refused_or_rolled_back_cancel_mails_nobody(self, world):
        with pytest.raises(DomainError):
            domain.cancel_batch(f.batch(world.entry, status="responded"), actor=world.manager)
        batch = f.batch(f.pool_entry(world.call, f.profile(f.user())), status="sent")
        rolled_back(lambda: domain.cancel_batch(batch, actor=world.manager))
        assert outbox() == []


class TestExtend:
    def test_extending_a_sent_batch_mails_the_new_deadline(self, world):
        batch = f.batch(world.entry, status="sent")
        f.item(batch, world.proposal)
        later = NOW + timedelta(days=10)
        domain.extend_deadline(batch, actor=world.manager, expires_at=later)
        [mail] = outbox()
        assert (mail.template, mail.to) == (EXTENDED, [world.reviewer.email])
        assert mail.dedupe_key == f"extended:{batch.uuid.hex}:2026-03-20T12:00:00Z"
        assert "2026-03-20 12:00 UTC" in mail.body_text

    def test_reopening_an_expired_batch_mails_once_per_extension(self, world):
        batch = f.batch(world.entry, status="expired")
        f.item(batch, world.proposal, status="expired")
        domain.extend_deadline(batch, actor=world.manager, expires_at=NOW + timedelta(days=3))
        domain.extend_deadline(batch, actor=world.manager, expires_at=NOW + timedelta(days=4))
        assert [m.dedupe_key for m in outbox(EXTENDED)] == [
            f"extended:{batch.uuid.hex}:2026-03-13T12:00:00Z", f"extended:{batch.uuid.hex}:2026-03-14T12:00:00Z"]
        assert len(outbox()) == 2

    def test_refused_or_rolled_back_extension_mails_nobody(self, world):
        batch = f.batch(world.entry, status="sent", expires_at=NOW + timedelta(days=5))
        with pytest.raises(FieldError):
            domain.extend_deadline(batch, actor=world.manager, expires_at=NOW + timedelta(days=4))
        with pytest.raises(FieldError):
            domain.extend_deadline(batch, actor=world.manager, expires_at=NOW - timedelta(days=1))
        with pytest.raises(DomainError):
            domain.extend_deadline(f.batch(f.pool_entry(world.call, f.profile(f.user()))), actor=world.manager,
                                   expires_at=NOW + timedelta(days=4))
        rolled_back(lambda: domain.extend_deadline(batch, actor=world.manager, expires_at=NOW + timedelta(days=9)))
        assert outbox() == []


class TestPool:
    def test_each_new_invitee_gets_one_invitation(self, world):
        new = [f.profile(f.user()) for _ in range(2)]
        uuids = [new[0].uuid, world.profile.uuid, new[1].uuid, new[0].uuid]  # a member and a repeat
        entries = pool.invite_reviewers(world.call, actor=world.manager, reviewer_uuids=uuids,
                                        invitation_message="Please join")
        assert len(entries) == 2
        mails = outbox()
        assert [(m.template, m.to) for m in mails] == [(POOL, [p.user.email]) for p in new]
        assert [m.dedupe_key for m in mails] == [
            f"pool-invitation:{e.uuid.hex}:{e.invitation_token}" for e in entries]
        assert all("Please join" in m.body_text for m in mails)

    def test_inviting_only_members_mails_nobody(self, world):
        assert pool.invite_reviewers(world.call, actor=world.manager, reviewer_uuids=[world.profile.uuid]) == []
        assert outbox() == []

    def test_resend_mails_the_new_link_once(self, world):
        [entry] = pool.invite_reviewers(world.call, actor=world.manager,
                                        reviewer_uuids=[f.profile(f.user()).uuid])
        first_token = entry.invitation_token
        entry = pool.resend_invitation(entry, actor=world.manager)
        first, second = outbox(POOL)
        assert first.dedupe_key.endswith(first_token) and second.dedupe_key.endswith(entry.invitation_token)
        assert entry.invitation_token in second.body_text and first_token not in second.body_text

    def test_refused_or_rolled_back_resend_mails_nobody(self, world):
        with pytest.raises(DomainError):
            pool.resend_invitation(world.entry, actor=world.manager)  # accepted
        entry = f.pool_entry(world.call, f.profile(f.user()), status="expired")
        rolled_back(lambda: pool.resend_invitation(entry, actor=world.manager))
        rolled_back(lambda: pool.invite_reviewers(world.call, actor=world.manager,
                                                  reviewer_uuids=[f.profile(f.user()).uuid]))
        assert outbox() == []
