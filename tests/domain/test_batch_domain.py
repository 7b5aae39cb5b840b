"""The batch state machine (§4.1) and manual assignment (§5.6) as domain functions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from referee.assignments import domain
from referee.assignments.models import AffinityScore, AssignmentBatch, AssignmentItem
from referee.core.errors import DomainError, FieldError
from referee.core.models import AuditEvent
from referee.reviews.models import Review
from tests import factories as f
from tests.helpers import NOW, events


@pytest.mark.django_db
class TestSend:
    def test_draft_becomes_sent_with_deadline_from_call_configuration(self, world, clock):
        world.call.assignment_config.assignment_expiration_days = 5
        world.call.assignment_config.save()
        batch = f.batch(world.entry)
        f.item(batch, world.proposal)
        sent = domain.send_batch(batch, actor=world.manager, manager_notes="Please review")
        sent.refresh_from_db()
        assert (sent.status, sent.sent_at, sent.expires_at) == ("sent", NOW, NOW + timedelta(days=5))
        assert sent.manager_notes == "Please review"
        [event] = events("ASSIGNMENT_BATCH_SENT")
        assert (event.from_state, event.to_state, event.actor, event.call) == ("draft", "sent", world.manager, world.call)

    def test_empty_notes_keep_existing_ones(self, world):
        batch = f.batch(world.entry, manager_notes="Original")
        f.item(batch, world.proposal)
        domain.send_batch(batch, actor=world.manager, manager_notes="")
        batch.refresh_from_db()
        assert batch.manager_notes == "Original"

    def test_blocked_pairs_become_coi_blocked_before_sending(self, world):
        batch = f.batch(world.entry)
        blocked = f.item(batch, world.proposal)
        free = f.item(batch, world.proposal2)
        conflict = f.conflict(world.profile, world.proposal)
        f.conflict(world.profile, world.proposal2, rule="disclosure_only", coi_type="ROLE_NAMED",
                   severity="real")  # disclosure-only never blocks
        domain.send_batch(batch, actor=world.manager)
        blocked.refresh_from_db(), free.refresh_from_db()
        assert (blocked.status, blocked.has_coi, list(blocked.coi_records.all())) == ("coi_blocked", True, [conflict])
        assert (free.status, free.has_coi) == ("pending", False)
        assert [e.object_uuid for e in events("ASSIGNMENT_ITEM_COI_BLOCKED")] == [blocked.uuid]

    def test_refused_when_every_item_is_blocked_and_nothing_changes(self, world):
        batch = f.batch(world.entry)
        item = f.item(batch, world.proposal)
        f.conflict(world.profile, world.proposal)
        with pytest.raises(DomainError, match="^Batch has no pending items to send.$"):
            domain.send_batch(batch, actor=world.manager)
        item.refresh_from_db(), batch.refresh_from_db()
        assert (item.status, batch.status) == ("pending", "draft")
        assert not AuditEvent.objects.exists()

    def test_refused_without_items_and_for_non_drafts(self, world):
        with pytest.raises(DomainError, match="^Batch has no pending items to send.$"):
            domain.send_batch(f.batch(world.entry), actor=world.manager)
        for status in ("sent", "responded", "expired", "cancelled"):
            with pytest.raises(DomainError, match="^Only draft batches can be sent.$"):
                domain.send_batch(f.batch(world.entry, status=status), actor=world.manager)


@pytest.mark.django_db
class TestCancel:
    @pytest.mark.parametrize("status", ["draft", "sent"])
    def test_unanswered_items_expire_and_accepted_ones_stay(self, world, status):
        batch = f.batch(world.entry, status=status)
        pending = f.item(batch, world.proposal)
        review = Review.objects.create(proposal=world.proposal2, reviewer=world.reviewer)
        accepted = f.item(batch, world.proposal2, status="accepted", review=review)
        third = f.proposal(world.round)
        blocked = f.item(batch, third, status="coi_blocked")
        domain.cancel_batch(batch, actor=world.manager)
        batch.refresh_from_db()
        assert batch.status == "cancelled"
        for item, expected in ((pending, "expired"), (blocked, "expired"), (accepted, "accepted")):
            item.refresh_from_db()
            assert item.status == expected
        assert blocked.has_coi is False
        assert Review.objects.get(pk=review.pk).state == "in_review"
        assert {e.object_uuid for e in events("ASSIGNMENT_ITEM_EXPIRED")} == {pending.uuid, blocked.uuid}
        assert events("ASSIGNMENT_BATCH_CANCELLED")[0].from_state == status

    @pytest.mark.parametrize("status", ["responded", "expired", "cancelled"])
    def test_refused_for_other_states(self, world, status):
        with pytest.raises(DomainError, match="^Only draft or sent batches can be cancelled.$"):
            domain.cancel_batch(f.batch(world.entry, status=status), actor=world.manager)


@pytest.mark.django_db
class TestExtendDeadline:
    def test_sent_batch_gets_a_later_deadline_and_reminder_reset(self, world, clock):
        batch = f.batch(world.entry, status="sent", expires_at=NOW + timedelta(days=2), reminder_sent=True)
        result = domain.extend_deadline(batch, actor=world.manager, expires_at=NOW + timedelta(days=10))
        assert (result.status, result.expires_at, result.reminder_sent) == ("sent", NOW + timedelta(days=10), False)

    def test_naive_datetimes_are_utc(self, world, clock):
        batch = f.batch(world.entry, status="sent", expires_at=NOW + timedelta(days=2))
        naive = (NOW + timedelta(days=3)).replace(tzinfo=None)
        assert domain.extend_deadline(batch, actor=world.manager, expires_at=naive).expires_at == NOW + timedelta(days=3)

    def test_field_errors(self, world, clock):
        batch = f.batch(world.entry, status="sent", expires_at=NOW + timedelta(days=5))
        cases = [
            (NOW - timedelta(seconds=1), "New deadline must be in the future."),
            (NOW, "New deadline must be in the future."),
            (NOW + timedelta(days=365, seconds=1), "New deadline must be within 365 days."),
            (NOW + timedelta(days=4), "New deadline must be later than the current deadline."),
            (NOW + timedelta(days=5), "New deadline must be later than the current deadline."),
        ]
        for expires_at, message in cases:
            with pytest.raises(FieldError) as error:
                domain.extend_deadline(batch, actor=world.manager, expires_at=expires_at)
            assert (error.value.field, error.value.message) == ("expires_at", message)
        assert domain.extend_deadline(batch, actor=world.manager, expires_at=NOW + timedelta(days=365)).status == "sent"

    @pytest.mark.parametrize("status", ["draft", "responded", "cancelled"])
    def test_refused_for_other_states(self, world, clock, status):
        with pytest.raises(DomainError, match="^Can only extend deadline for sent or expired batches.$"):
            domain.extend_deadline(f.batch(world.entry, status=status), actor=world.manager, expires_at=NOW + timedelta(days=1))

    def test_expired_batch_reopens_with_items_pending_or_blocked(self, world, clock):
        batch = f.batch(world.entry, status="expired", reminder_sent=True, manager_notified=True)
        reopened = f.item(batch, world.proposal, status="expired")
        blocked = f.item(batch, world.proposal2, status="expired")
        declined = f.item(batch, f.proposal(world.round), status="declined")
        conflict = f.conflict(world.profile, world.proposal2)
        result = domain.extend_deadline(batch, actor=world.manager, expires_at=NOW + timedelta(days=3))
        assert (result.status, result.reminder_sent, result.manager_notified) == ("sent", False, False)
        for item in (reopened, blocked, declined):
            item.refresh_from_db()
        assert (reopened.status, blocked.status, declined.status) == ("pending", "coi_blocked", "declined")
        assert list(blocked.coi_records.all()) == [conflict] and blocked.has_coi
        assert events("ASSIGNMENT_BATCH_DEADLINE_EXTENDED")[0].from_state == "expired"

    def test_expired_batch_whose_items_are_all_blocked_is_responded(self, world, clock):
        batch = f.batch(world.entry, status="expired")
        f.item(batch, world.proposal, status="expired")
        f.conflict(world.profile, world.proposal)
        result = domain.extend_deadline(batch, actor=world.manager, expires_at=NOW + timedelta(days=3))
        assert (result.status, result.responded_at) == ("responded", NOW)

    def test_item_whose_pair_is_held_elsewhere_stays_expired(self, world, clock):
        batch = f.batch(world.entry, status="expired")
        item = f.item(batch, world.proposal, status="expired")
        f.item(f.batch(world.entry), world.proposal)  # the pair is held by a later draft
        domain.extend_deadline(batch, actor=world.manager, expires_at=NOW + timedelta(days=3))
        item.refresh_from_db()
        assert item.status == "expired"


@pytest.mark.django_db
class TestNotesAndDelete:
    @pytest.mark.parametrize("status", ["draft", "sent"])
    def test_notes_change_while_draft_or_sent(self, world, status):
        batch = domain.update_batch_notes(f.batch(world.entry, status=status), actor=world.manager, manager_notes="New")
        assert AssignmentBatch.objects.get(pk=batch.pk).manager_notes == "New"

    @pytest.mark.parametrize("status", ["responded", "expired", "cancelled"])
    def test_notes_frozen_afterwards(self, world, status):
        with pytest.raises(DomainError, match="^Notes can only be changed while the batch is draft or sent.$"):
            domain.update_batch_notes(f.batch(world.entry, status=status), actor=world.manager, manager_notes="x")

    @pytest.mark.parametrize("status", ["draft", "cancelled"])
    def test_delete_cascades_items(self, world, status):
        batch = f.batch(world.entry, status=status)
        f.item(batch, world.proposal, status="pending" if status == "draft" else "expired")
        domain.delete_batch(batch, actor=world.manager)
        assert not AssignmentBatch.objects.exists() and not AssignmentItem.objects.exists()
        assert events("ASSIGNMENT_BATCH_DELETED")[0].object_uuid == batch.uuid

    @pytest.mark.parametrize("status", ["sent", "responded", "expired"])
    def test_delete_refused_for_other_states(self, world, status):
        with pytest.raises(DomainError, match="^Only draft or cancelled batches can be deleted.$"):
            domain.delete_batch(f.batch(world.entry, status=status), actor=world.manager)

    def test_delete_refused_with_accepted_items(self, world):
        batch = f.batch(world.entry, status="cancelled")
        f.item(batch, world.proposal, status="accepted")
        with pytest.raises(DomainError, match="^Batches with accepted assignments cannot be deleted.$"):
            domain.delete_batch(batch, actor=world.manager)
        assert AssignmentBatch.objects.filter(pk=batch.pk).exists()


@pytest.mark.django_db
class TestCompletionAndExpiry:
    def test_responded_once_nothing_is_pending(self, world, clock):
        batch = f.batch(world.entry, status="sent", responded_at=None)
        item = f.item(batch, world.proposal)
        assert domain.complete_batch_if_responded(batch) is False
        AssignmentItem.objects.filter(pk=item.pk).update(status="declined")
        assert domain.complete_batch_if_responded(batch) is True
        batch.refresh_from_db()
        assert (batch.status, batch.responded_at) == ("responded", NOW)
        assert domain.complete_batch_if_responded(batch) is False  # terminal

    def test_only_sent_batches_complete(self, world):
        batch = f.batch(world.entry)
        assert domain.complete_batch_if_responded(batch) is False
        assert AssignmentBatch.objects.get(pk=batch.pk).status == "draft"

    def test_expiry_at_the_deadline(self, world, clock):
        batch = f.batch(world.entry, status="sent", expires_at=NOW + timedelta(minutes=1))
        pending = f.item(batch, world.proposal)
        accepted = f.item(batch, world.proposal2, status="accepted")
        assert domain.expire_batch(batch) is False
        clock.shift(timedelta(minutes=1))
        assert domain.expire_batch(batch) is True
        assert domain.expire_batch(batch) is False  # a second run is harmless
        pending.refresh_from_db(), accepted.refresh_from_db(), batch.refresh_from_db()
        assert (batch.status, pending.status, accepted.status) == ("expired", "expired", "accepted")


@pytest.mark.django_db
class TestManualAssignment:
    def run(self, w, uuids, **kwargs):
        return domain.create_manual_assignment(
            w.call, actor=w.manager, reviewer_pool_entry_uuid=w.entry.uuid, proposal_uuids=uuids, **kwargs
        )

    def test_creates_a_manual_draft_with_cached_affinity(self, world):
        AffinityScore.objects.create(call=world.call, reviewer=world.profile, proposal=world.proposal, affinity_score=0.75,
                                     method="combined", keyword_weight=0.4, text_weight=0.6)
        result = self.run(world, [world.proposal.uuid, world.proposal2.uuid], manager_notes="Hello")
        batch = AssignmentBatch.objects.get()
        assert (result.batch_uuid, result.items_created, result.skipped_proposals) == (batch.uuid, 2, [])
        assert (batch.status, batch.source, batch.created_by, batch.manager_notes) == ("draft", "manual", world.manager, "Hello")
        scores = dict(batch.items.values_list("proposal_id", "affinity_score"))
        assert scores == {world.proposal.id: 0.75, world.proposal2.id: None}
        assert events("ASSIGNMENT_ITEMS_CREATED")[0].context["items"]

    def test_reuses_the_entry_draft_whatever_its_source(self, world):
        draft = f.batch(world.entry, created_by=world.staff)
        result = self.run(world, [world.proposal.uuid])
        draft.refresh_from_db()
        assert result.batch_uuid == draft.uuid and (draft.source, draft.created_by) == ("algorithm", world.staff)

    def test_skip_reasons_in_request_order(self, world):
        foreign = f.proposal(f.round_(world.other_call))
        closed = f.proposal(world.round, state="draft")
        team = f.proposal(world.round, team=[world.reviewer])
        bid = f.proposal(world.round)
        world.profile.bids.create(proposal=bid, bid="conflict")
        held = f.proposal(world.round)
        f.item(f.batch(world.entry, status="sent"), held, status="declined")
        reoffered = f.proposal(world.round)
        f.item(f.batch(world.entry, status="cancelled"), reoffered, status="expired")
        keys = [foreign.uuid, closed.uuid, team.uuid, bid.uuid, held.uuid, reoffered.uuid]
        result = self.run(world, keys)
        assert result.items_created == 1
        assert [(s["proposal_uuid"], s["proposal_name"], s["reason"]) for s in result.skipped_proposals] == [
            (foreign.uuid.hex, "", "Proposal not found in this call"),
            (closed.uuid.hex, closed.name, "Proposal is not open for review"),
            (team.uuid.hex, team.name, "Reviewer is a member of the proposal team"),
            (bid.uuid.hex, bid.name, "Reviewer declared a conflict for this proposal"),
            (held.uuid.hex, held.name, "Assignment already exists for this reviewer"),
        ]

    def test_nothing_created_answers_the_existing_draft_or_none(self, world):
        world.proposal.state = "draft"
        world.proposal.save()
        assert self.run(world, [world.proposal.uuid]).batch_uuid is None
        assert not AssignmentBatch.objects.exists()
        draft = f.batch(world.entry)
        assert self.run(world, [world.proposal.uuid]).batch_uuid == draft.uuid

    def test_blocked_pairs_become_coi_blocked_items(self, world):
        conflict = f.conflict(world.profile, world.proposal)
        self.run(world, [world.proposal.uuid])
        item = AssignmentItem.objects.get()
        assert (item.status, item.has_coi, list(item.coi_records.all())) == ("coi_blocked", True, [conflict])

    def test_refusals(self, world):
        with pytest.raises(FieldError) as error:
            self.run(world, [f.proposal(f.round_(world.other_call)).uuid])
        assert (error.value.field, error.value.message) == ("proposal_uuids", "No valid proposals found.")
        for status in ("pending", "declined", "expired"):
            world.entry.invitation_status = status
            world.entry.save()
            with pytest.raises(FieldError) as error:
                self.run(world, [world.proposal.uuid])
            assert error.value.field == "reviewer_pool_entry_uuid"
            assert error.value.message == "Reviewer not found in pool or not accepted."

    def test_workload_limit_and_override(self, world):
        world.entry.max_assignments = 2
        world.entry.save()
        Review.objects.create(proposal=f.proposal(world.round), reviewer=world.reviewer)  # one open review
        extra = [f.proposal(world.round) for _ in range(2)]
        f.conflict(world.profile, extra[1])  # blocked items are not new work
        assert self.run(world, [extra[1].uuid, world.proposal.uuid]).items_created == 2
        with pytest.raises(FieldError) as error:
            self.run(world, [world.proposal2.uuid, extra[0].uuid])
        assert error.value.field == "override_workload_limit"
        assert error.value.message == (
            "Reviewer has 2 open assignments (limit 2); this request would add 2. "
            "Set override_workload_limit to assign anyway."
        )
        assert AssignmentItem.objects.count() == 2
        assert self.run(world, [world.proposal2.uuid, extra[0].uuid], override_workload_limit=True).items_created == 2
        [event] = events("REVIEWER_WORKLOAD_LIMIT_OVERRIDDEN")
        assert (event.actor, event.object_uuid, event.context["adding"]) == (world.manager, world.entry.uuid, 2)

    def test_duplicate_uuids_count_once(self, world):
        assert self.run(world, [world.proposal.uuid, world.proposal.uuid]).items_created == 1


@pytest.mark.django_db
def test_time_is_stored_in_utc(world):
    batch = f.batch(world.entry)
    f.item(batch, world.proposal)
    sent = domain.send_batch(batch, actor=world.manager)
    assert sent.sent_at.utcoffset() == timedelta(0) and abs(sent.sent_at - timezone.now()) < timedelta(minutes=1)
