"""What reviewing a conflict does to the pair's assignment items (§4.2, §4.4, §5.8): the unblock
rule in every batch state, other blocking conflicts, recusal, and blocking by detection."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referee.conflicts import domain
from referee.conflicts.detection import run_detection
from referee.conflicts.models import COIDetectionJob, ConflictOfInterest
from referee.core.errors import DomainError
from referee.core.models import AuditEvent
from referee.notifications.models import OutboxMessage
from referee.reviews.models import Review
from tests import factories as f
from tests.helpers import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def blocked_item(w, batch, conflict=None, proposal=None):
    item = f.item(batch, proposal or w.proposal, status="coi_blocked")
    if conflict is not None:
        item.coi_records.add(conflict)
    return item


def unblock_mails() -> int:
    return OutboxMessage.objects.filter(template="assignment_item_unblocked").count()


def reload(*rows):
    for row in rows:
        row.refresh_from_db()


class TestUnblockRule:
    def test_draft_batch_item_becomes_pending_without_mail(self, world):
        batch = f.batch(world.entry)
        conflict = f.conflict(world.profile, world.proposal, rule="management_allowed")
        item = blocked_item(world, batch, conflict)
        domain.dismiss_conflict(conflict, actor=world.manager)
        reload(item, batch)
        assert (item.status, item.has_coi, batch.status) == ("pending", False, "draft")
        assert unblock_mails() == 0
        event = AuditEvent.objects.get(event_type="ASSIGNMENT_ITEM_UNBLOCKED")
        assert (event.from_state, event.to_state, event.actor, event.call) == ("coi_blocked", "pending", world.manager,
                                                                              world.call)

    def test_sent_batch_before_deadline_item_becomes_pending_with_mail(self, world):
        batch = f.batch(world.entry, status="sent", expires_at=NOW + timedelta(hours=1))
        conflict = f.conflict(world.profile, world.proposal, rule="management_allowed")
        item = blocked_item(world, batch, conflict)
        domain.waive_conflict(conflict, actor=world.manager, management_plan="Second opinion")
        reload(item, batch)
        assert (item.status, item.has_coi, batch.status) == ("pending", False, "sent")
        mail = OutboxMessage.objects.get(template="assignment_item_unblocked")
        assert mail.to == [world.reviewer.email]

    def test_responded_batch_before_deadline_is_sent_again(self, world):
        batch = f.batch(world.entry, status="responded", expires_at=NOW + timedelta(days=2))
        conflict = f.conflict(world.profile, world.proposal, rule="management_allowed")
        item = blocked_item(world, batch, conflict)
        domain.dismiss_conflict(conflict, actor=world.manager)
        reload(item, batch)
        assert (item.status, batch.status, batch.responded_at) == ("pending", "sent", None)
        event = AuditEvent.objects.get(event_type="ASSIGNMENT_BATCH_REOPENED")
        assert (event.from_state, event.to_state, event.object_uuid) == ("responded", "sent", batch.uuid)
        assert unblock_mails() == 1

    @pytest.mark.parametrize("status", ["sent", "responded"])
    def test_past_the_deadline_the_item_expires(self, world, status):
        batch = f.batch(world.entry, status=status, expires_at=NOW)  # now ≥ expires_at
        conflict = f.conflict(world.profile, world.proposal, rule="management_allowed")
        item = blocked_item(world, batch, conflict)
        domain.dismiss_conflict(conflict, actor=world.manager)
        reload(item, batch)
        assert (item.status, item.has_coi, batch.status) == ("expired", False, status)
        assert unblock_mails() == 0
        assert AuditEvent.objects.get(event_type="ASSIGNMENT_ITEM_EXPIRED").from_state == "coi_blocked"

    @pytest.mark.parametrize("status", ["expired", "cancelled"])
    def test_unanswerable_batches_expire_the_item(self, world, status):
        batch = f.batch(world.entry, status=status)
        conflict = f.conflict(world.profile, world.proposal, rule="management_allowed")
        item = blocked_item(world, batch, conflict)
        domain.dismiss_conflict(conflict, actor=world.manager)
        reload(item, batch)
        assert (item.status, batch.status) == ("expired", status)
        assert unblock_mails() == 0

    def test_other_pairs_are_untouched(self, world):
        batch = f.batch(world.entry, status="sent")
        conflict = f.conflict(world.profile, world.proposal, rule="management_allowed")
        mine = blocked_item(world, batch, conflict)
        other_pair = blocked_item(world, batch, f.conflict(world.profile, world.proposal2, rule="management_allowed"),
                                  proposal=world.proposal2)
        domain.dismiss_conflict(conflict, actor=world.manager)
        reload(mine, other_pair)
        assert (mine.status, other_pair.status) == ("pending", "coi_blocked")


class TestAnotherBlockingConflict:
    @pytest.mark.parametrize("linked", [True, False])
    def test_keeps_the_item_blocked(self, world, linked):
        batch = f.batch(world.entry, status="sent")
        conflict = f.conflict(world.profile, world.proposal, rule="management_allowed")
        other = f.conflict(world.profile, world.proposal, severity="apparent")
        item = blocked_item(world, batch, conflict)
        if linked:
            item.coi_records.add(other)
        domain.dismiss_conflict(conflict, actor=world.manager)
        reload(item, conflict)
        assert (conflict.status, item.status, item.has_coi) == ("dismissed", "coi_blocked", True)
        assert unblock_mails() == 0
        domain.dismiss_conflict(other, actor=world.manager)  # the last one goes: now it is unblocked
        reload(item)
        assert item.status == "pending"

    def test_a_recused_conflict_keeps_the_item_blocked(self, world):
        recused = f.conflict(world.profile, world.proposal, rule="management_allowed", status="recused", coi_type="COMPET")
        item = blocked_item(world, f.batch(world.entry), recused)
        conflict = f.conflict(world.profile, world.proposal, rule="management_allowed")
        domain.waive_conflict(conflict, actor=world.manager, management_plan="Plan")
        reload(item)
        assert item.status == "coi_blocked"

    def test_disclosure_only_and_reviewed_conflicts_do_not_keep_it_blocked(self, world):
        f.conflict(world.profile, world.proposal, rule="disclosure_only", coi_type="SOC_MEMBER", severity="apparent")
        f.conflict(world.profile, world.proposal, status="dismissed", coi_type="COMPET", severity="apparent")
        f.conflict(world.profile, world.proposal, rule="management_allowed", status="waived", coi_type="FIN_DIRECT")
        conflict = f.conflict(world.profile, world.proposal, rule="management_allowed")
        item = blocked_item(world, f.batch(world.entry), conflict)
        domain.dismiss_conflict(conflict, actor=world.manager)
        reload(item)
        assert item.status == "pending"

    def test_another_reviewers_conflict_on_the_proposal_does_not_count(self, world):
        other_profile = f.profile(f.user())
        f.conflict(other_profile, world.proposal, coi_type="INST_FORMER", severity="apparent")
        conflict = f.conflict(world.profile, world.proposal, rule="management_allowed")
        item = blocked_item(world, f.batch(world.entry), conflict)
        domain.dismiss_conflict(conflict, actor=world.manager)
        reload(item)
        assert item.status == "pending"


class TestRecusal:
    def test_blocks_pending_and_accepted_items_and_rejects_in_review_reviews(self, world):
        sent = f.batch(world.entry, status="sent")
        review = Review.objects.create(proposal=world.proposal, reviewer=world.reviewer)
        accepted = f.item(sent, world.proposal, status="accepted", review=review)
        other = f.item(sent, world.proposal2)  # another pair stays pending
        draft = f.batch(world.entry)
        conflict = f.conflict(world.profile, world.proposal, rule="disclosure_only", coi_type="INST_FORMER",
                              severity="apparent")
        domain.recuse_conflict(conflict, actor=world.manager, review_notes="Team member")
        reload(accepted, other, review, sent, conflict)
        assert (accepted.status, accepted.has_coi, accepted.review_id) == ("coi_blocked", True, review.pk)
        assert list(accepted.coi_records.all()) == [conflict]
        assert (other.status, review.state, sent.status, draft.status) == ("pending", "rejected", "sent", "draft")
        assert (conflict.status, conflict.review_notes, conflict.reviewed_by, conflict.reviewed_at) == (
            "recused", "Team member", world.manager, NOW)
        event = AuditEvent.objects.get(event_type="REVIEW_REJECTED")
        assert (event.object_uuid, event.from_state, event.to_state) == (review.uuid, "in_review", "rejected")
        blocked = AuditEvent.objects.get(event_type="ASSIGNMENT_ITEM_COI_BLOCKED")
        assert (blocked.from_state, blocked.to_state) == ("accepted", "coi_blocked")

    def test_sent_batch_without_pending_items_becomes_responded(self, world):
        batch = f.batch(world.entry, status="sent")
        item = f.item(batch, world.proposal)
        f.item(batch, world.proposal2, status="declined")
        domain.recuse_conflict(f.conflict(world.profile, world.proposal, rule="management_allowed"),
                               actor=world.manager)
        reload(item, batch)
        assert (item.status, batch.status, batch.responded_at) == ("coi_blocked", "responded", NOW)
        event = AuditEvent.objects.get(event_type="ASSIGNMENT_BATCH_RESPONDED")
        assert (event.from_state, event.to_state, event.actor) == ("sent", "responded", world.manager)

    def test_rejects_reviews_without_an_item_and_keeps_submitted_ones(self, world):
        in_review = Review.objects.create(proposal=world.proposal, reviewer=world.reviewer)
        other_user = Review.objects.create(proposal=world.proposal, reviewer=world.stranger)
        other_proposal = Review.objects.create(proposal=world.proposal2, reviewer=world.reviewer)
        domain.recuse_conflict(f.conflict(world.profile, world.proposal, rule="management_allowed"), actor=world.staff)
        reload(in_review, other_user, other_proposal)
        assert (in_review.state, other_user.state, other_proposal.state) == ("rejected", "in_review", "in_review")

    def test_already_blocked_item_gets_the_recusal_linked(self, world):
        first = f.conflict(world.profile, world.proposal, severity="apparent")
        item = blocked_item(world, f.batch(world.entry, status="sent"), first)
        second = f.conflict(world.profile, world.proposal, rule="management_allowed", status="dismissed")
        domain.recuse_conflict(second, actor=world.manager)
        reload(item)
        assert item.status == "coi_blocked" and set(item.coi_records.all()) == {first, second}
        assert not AuditEvent.objects.filter(event_type="ASSIGNMENT_ITEM_COI_BLOCKED").exists()

    def test_declined_expired_reassigned_items_are_left_alone(self, world):
        batch = f.batch(world.entry, status="expired")
        item = f.item(batch, world.proposal, status="expired")
        domain.recuse_conflict(f.conflict(world.profile, world.proposal, rule="management_allowed"),
                               actor=world.manager)
        reload(item)
        assert item.status == "expired" and not item.coi_records.exists()

    def test_recused_conflict_can_not_be_unblocked(self, world):
        conflict = f.conflict(world.profile, world.proposal, rule="management_allowed", status="recused")
        item = blocked_item(world, f.batch(world.entry), conflict)
        assert domain.unblock_pair_items(world.profile, world.proposal, actor=world.manager) == []
        reload(item)
        assert item.status == "coi_blocked"


class TestRefusals:
    def test_refusal_changes_nothing(self, world):
        batch = f.batch(world.entry, status="sent")
        item = f.item(batch, world.proposal)
        conflict = f.conflict(world.profile, world.proposal, rule="management_allowed", status="recused")
        with pytest.raises(DomainError, match="already recused"):
            domain.recuse_conflict(conflict, actor=world.manager)
        with pytest.raises(DomainError, match="require recusal"):
            domain.waive_conflict(f.conflict(world.profile, world.proposal, coi_type="COMPET", severity="apparent"),
                                  actor=world.manager, management_plan="x")
        reload(item)
        assert item.status == "pending" and not AuditEvent.objects.exists()


class TestBlockingBuildingBlock:
    def test_disclosure_only_pending_conflicts_never_block(self, world):
        item = f.item(f.batch(world.entry, status="sent"), world.proposal)
        assert domain.block_pair_items(f.conflict(world.profile, world.proposal, rule="disclosure_only",
                                                  coi_type="INST_FORMER", severity="apparent"), actor=None) == []
        reload(item)
        assert item.status == "pending"

    def test_a_chunk_of_conflicts_blocks_each_pair(self, world):
        other_profile = f.profile(f.user())
        other_entry = f.pool_entry(world.call, other_profile)
        batch, other_batch = f.batch(world.entry, status="sent"), f.batch(other_entry)
        mine, kept = f.item(batch, world.proposal), f.item(batch, world.proposal2)
        theirs = f.item(other_batch, world.proposal2)
        accepted = f.item(other_batch, world.proposal, status="accepted")
        conflicts = [f.conflict(world.profile, world.proposal, rule="management_allowed"),
                     f.conflict(other_profile, world.proposal2, rule="management_allowed"),
                     f.conflict(other_profile, world.proposal, rule="disclosure_only", coi_type="INST_FORMER",
                                severity="apparent")]
        blocked = domain.block_pair_items(conflicts, actor=None)
        reload(mine, kept, theirs, accepted, batch)
        assert {i.pk for i in blocked} == {mine.pk, theirs.pk}
        assert (mine.status, kept.status, theirs.status, accepted.status) == (
            "coi_blocked", "pending", "coi_blocked", "accepted")
        assert list(theirs.coi_records.all()) == [conflicts[1]] and batch.status == "sent"


class TestDetectionBlocks:
    @pytest.fixture
    def named(self, world):
        """The reviewer is on the team of both proposals: detection finds ROLE_NAMED (real) for each."""
        world.proposal.team.add(world.reviewer)
        world.proposal2.team.add(world.reviewer)
        return world

    def test_new_blocking_conflicts_block_pending_items(self, named):
        batch = f.batch(named.entry, status="sent")
        first, second = f.item(batch, named.proposal), f.item(batch, named.proposal2)
        job = run_detection(COIDetectionJob.objects.create(call=named.call).id)
        reload(first, second, batch)
        assert job.conflicts_found == 2
        assert (first.status, second.status, first.has_coi, batch.status) == (
            "coi_blocked", "coi_blocked", True, "responded")
        assert first.coi_records.get().coi_type == "ROLE_NAMED"
        assert AuditEvent.objects.filter(event_type="ASSIGNMENT_ITEM_COI_BLOCKED", actor=None).count() == 2

    def test_disclosure_only_findings_do_not_block(self, named):
        named.call.coi_config.disclosure_only_types = ["ROLE_NAMED"]
        named.call.coi_config.save()
        item = f.item(f.batch(named.entry), named.proposal)
        run_detection(COIDetectionJob.objects.create(call=named.call).id)
        reload(item)
        assert item.status == "pending" and ConflictOfInterest.objects.count() == 2

    def test_a_dismissed_finding_is_not_applied_again(self, named):
        item = f.item(f.batch(named.entry), named.proposal)
        run_detection(COIDetectionJob.objects.create(call=named.call).id)
        conflict = ConflictOfInterest.objects.get(proposal=named.proposal)
        domain.dismiss_conflict(conflict, actor=named.manager)
        run_detection(COIDetectionJob.objects.create(call=named.call).id)
        reload(item)
        assert item.status == "pending"  # the dismissed record is kept, never recreated

    def test_queries_per_chunk_are_constant(self, named):
        def detect() -> int:
            ConflictOfInterest.objects.all().delete()
            with CaptureQueriesContext(connection) as ctx:
                run_detection(COIDetectionJob.objects.create(call=named.call).id)
            return len(ctx)

        f.item(f.batch(named.entry, status="sent"), named.proposal)
        before = detect()
        for _ in range(4):  # more reviewers on the team, each with a sent batch of two items
            profile = f.profile(f.user())
            named.proposal.team.add(profile.user)
            named.proposal2.team.add(profile.user)
            batch = f.batch(f.pool_entry(named.call, profile), status="sent")
            f.item(batch, named.proposal)
            f.item(batch, named.proposal2)
        after = detect()
        assert before == after, (before, after)
        assert ConflictOfInterest.objects.count() == 10
