"""The batch jobs at every boundary of their schedule (§4.1, §6), on a frozen clock: reminders,
expiry exactly at the deadline, the managers' notice, and what extend-deadline resets."""

from datetime import timedelta

import pytest

from referee.assignments import domain, jobs
from tests import factories as f
from tests.helpers import NOW, events, outbox

pytestmark = pytest.mark.django_db
DEADLINE = NOW + timedelta(days=7)
SECOND, DAY = timedelta(seconds=1), timedelta(days=1)
REMINDER, NOTICE = "assignment_expiry_reminder", "assignment_batch_expired"


@pytest.fixture
def sent(world, clock):
    """A batch sent at NOW with two pending items; deadline NOW + 7 days, reminder 2 days before."""
    config = world.call.assignment_config
    config.assignment_expiration_days, config.send_reminder_before_expiry_days = 7, 2
    config.save()
    batch = f.batch(world.entry)
    f.item(batch, world.proposal)
    f.item(batch, world.proposal2)
    batch = domain.send_batch(batch, actor=world.manager)
    assert batch.expires_at == DEADLINE
    return batch


def state(batch):
    batch.refresh_from_db()
    return batch.status, batch.reminder_sent, batch.manager_notified


class TestReminders:
    @pytest.mark.parametrize("moment", [DEADLINE - 2 * DAY, DEADLINE - DAY, DEADLINE - SECOND])
    def test_exactly_once_inside_the_window(self, sent, clock, moment):
        clock.move_to(moment)
        assert jobs.send_reminders() == 1
        assert jobs.send_reminders() == 0
        clock.move_to(moment + (DEADLINE - moment) / 2)  # later in the same window
        assert jobs.send_reminders() == 0
        [reminder] = outbox(REMINDER)
        assert reminder.to == [sent.reviewer_pool_entry.reviewer.user.email]
        assert reminder.dedupe_key == f"reminder:{sent.uuid.hex}:2026-03-17T12:00:00Z"
        assert state(sent) == ("sent", True, False)
        [event] = events("ASSIGNMENT_BATCH_REMINDER_SENT")
        assert (event.object_uuid, event.context["pending_items"]) == (sent.uuid, 2)

    @pytest.mark.parametrize("moment", [NOW, DEADLINE - 2 * DAY - SECOND, DEADLINE, DEADLINE + DAY])
    def test_never_before_the_window_or_from_the_deadline_on(self, sent, clock, moment):
        clock.move_to(moment)
        assert jobs.send_reminders() == 0
        assert outbox(REMINDER) == [] and state(sent)[1] is False

    def test_not_once_the_batch_expired(self, sent, clock):
        clock.move_to(DEADLINE + SECOND)
        jobs.expire_batches()
        assert jobs.send_reminders() == 0 and outbox(REMINDER) == []

    def test_zero_days_means_no_reminder(self, sent, clock, world):
        world.call.assignment_config.send_reminder_before_expiry_days = 0
        world.call.assignment_config.save()
        clock.move_to(DEADLINE - SECOND)
        assert jobs.send_reminders() == 0 and outbox(REMINDER) == []

    def test_only_while_an_item_is_pending(self, sent, clock):
        sent.items.update(status="declined")  # answered, but the batch is still sent
        clock.move_to(DEADLINE - DAY)
        assert jobs.send_reminders() == 0 and outbox(REMINDER) == []

    def test_only_sent_batches(self, world, clock):
        entry = f.pool_entry(world.call, f.profile(f.user()))
        for status in ("draft", "responded", "cancelled"):
            batch = f.batch(entry, status=status, expires_at=NOW + DAY)
            f.item(batch, f.proposal(world.round))
        assert jobs.send_reminders() == 0 and outbox(REMINDER) == []

    def test_each_call_has_its_own_window(self, sent, clock, world):
        other_call = f.call(managers=[world.manager])
        other_call.assignment_config.send_reminder_before_expiry_days = 5
        other_call.assignment_config.save()
        other = f.batch(f.pool_entry(other_call, f.profile(f.user())), status="sent", expires_at=DEADLINE)
        f.item(other, f.proposal(f.round_(other_call)))
        clock.move_to(DEADLINE - 5 * DAY)
        assert jobs.send_reminders() == 1
        assert [m.dedupe_key.split(":")[1] for m in outbox(REMINDER)] == [other.uuid.hex]
        clock.move_to(DEADLINE - 2 * DAY)
        assert jobs.send_reminders() == 1 and len(outbox(REMINDER)) == 2


class TestExpiry:
    def test_not_one_second_before_the_deadline(self, sent, clock):
        clock.move_to(DEADLINE - SECOND)
        assert jobs.expire_batches() == 0
        assert state(sent)[0] == "sent"

    def test_exactly_at_the_deadline(self, sent, clock):
        clock.move_to(DEADLINE)
        assert jobs.expire_batches() == 1
        assert jobs.expire_batches() == 0
        assert state(sent)[0] == "expired"
        assert sorted(sent.items.values_list("status", flat=True)) == ["expired", "expired"]
        [event] = events("ASSIGNMENT_BATCH_EXPIRED")
        assert (event.from_state, event.to_state, event.actor) == ("sent", "expired", None)

    def test_answered_items_are_kept(self, sent, clock):
        accepted = sent.items.order_by("id").first()
        sent.items.filter(pk=accepted.pk).update(status="declined")
        clock.move_to(DEADLINE + DAY)
        jobs.expire_batches()
        assert dict(sent.items.values_list("pk", "status"))[accepted.pk] == "declined"

    def test_other_statuses_never_expire(self, world, clock):
        entry = f.pool_entry(world.call, f.profile(f.user()))
        batches = [f.batch(entry, status=s, expires_at=NOW - DAY) for s in ("draft", "responded", "cancelled")]
        assert jobs.expire_batches() == 0
        assert [state(b)[0] for b in batches] == ["draft", "responded", "cancelled"]


class TestExpiredNotice:
    def test_one_notice_to_every_manager(self, sent, clock, world):
        second = f.user("second")
        world.call.managers.add(second)
        clock.move_to(DEADLINE)
        assert jobs.notify_expired_batches() == 0  # not expired yet
        jobs.expire_batches()
        assert jobs.notify_expired_batches() == 1
        assert jobs.notify_expired_batches() == 0
        [notice] = outbox(NOTICE)
        assert notice.to == [world.manager.email, second.email]
        assert state(sent) == ("expired", False, True)
        assert len(events("ASSIGNMENT_BATCH_EXPIRY_NOTIFIED")) == 1

    def test_no_managers_sets_the_flag_only(self, sent, clock, world):
        world.call.managers.clear()
        clock.move_to(DEADLINE)
        jobs.expire_batches()
        assert jobs.notify_expired_batches() == 1
        assert outbox(NOTICE) == [] and state(sent)[2] is True
        [event] = events("ASSIGNMENT_BATCH_EXPIRY_NOTIFIED")
        assert event.context["mailed"] is False


class TestExtension:
    def test_extending_a_sent_batch_allows_a_reminder_for_the_new_deadline(self, sent, clock, world):
        clock.move_to(DEADLINE - DAY)
        jobs.send_reminders()
        later = DEADLINE + 3 * DAY
        domain.extend_deadline(sent, actor=world.manager, expires_at=later)
        assert state(sent) == ("sent", False, False)
        assert jobs.send_reminders() == 0  # the new window opens 2 days before the new deadline
        clock.move_to(later - 2 * DAY)
        assert jobs.send_reminders() == 1
        assert [m.dedupe_key for m in outbox(REMINDER)] == [
            f"reminder:{sent.uuid.hex}:2026-03-17T12:00:00Z", f"reminder:{sent.uuid.hex}:2026-03-20T12:00:00Z"]

    def test_reopening_an_expired_batch_resets_both_flags_and_the_cycle_repeats(self, sent, clock, world):
        clock.move_to(DEADLINE - DAY)
        jobs.send_reminders()
        clock.move_to(DEADLINE)
        jobs.expire_batches()
        jobs.notify_expired_batches()
        assert state(sent) == ("expired", True, True)

        later = DEADLINE + 5 * DAY
        domain.extend_deadline(sent, actor=world.manager, expires_at=later)
        assert state(sent) == ("sent", False, False)
        assert sorted(sent.items.values_list("status", flat=True)) == ["pending", "pending"]

        clock.move_to(later - DAY)
        assert (jobs.send_reminders(), jobs.expire_batches(), jobs.notify_expired_batches()) == (1, 0, 0)
        clock.move_to(later)
        assert (jobs.send_reminders(), jobs.expire_batches(), jobs.notify_expired_batches()) == (0, 1, 1)
        assert len(outbox(REMINDER)) == 2 and len(outbox(NOTICE)) == 2
        assert state(sent) == ("expired", True, True)
