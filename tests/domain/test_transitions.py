"""The bulk building blocks of the item and batch state machine (`assignments.transitions`) and
the audit writer they use (`core.audit`): each transition, its audit events, its edges, and a
query count that does not grow with the rows."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referee.assignments import transitions
from referee.assignments.models import AssignmentBatch, AssignmentItem
from referee.conflicts.models import ConflictOfInterest
from referee.core import audit
from referee.core.models import AuditEvent
from tests import factories as f

pytestmark = pytest.mark.django_db


def queries(action) -> int:
    with CaptureQueriesContext(connection) as ctx:
        action()
    return len(ctx)


def conflict(w, proposal, coi_type="INST_FORMER"):
    return ConflictOfInterest.objects.create(reviewer=w.profile, proposal=proposal, call=w.call, coi_type=coi_type,
                                             severity="apparent", rule="management_allowed")


def reviewer_batches(w, count, status="sent"):
    """`count` more reviewers of the call, each with one batch holding one pending item."""
    batches = []
    for _ in range(count):
        entry = f.pool_entry(w.call, f.profile(f.user()))
        batches.append(f.batch(entry, status=status))
        f.item(batches[-1], w.proposal)
    return batches


def locked(batch, statuses=("pending",)):
    return list(AssignmentItem.objects.select_related("batch").filter(batch=batch, status__in=statuses).order_by("pk"))


def events(event_type):
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("id"))


class TestAudit:
    def test_event_is_built_as_record_writes_it(self, world):
        batch = f.batch(world.entry)
        built = audit.event("X", batch, actor=world.manager, from_state="a", to_state="b", message="m", k=1)
        assert built.pk is None
        written = audit.record("X", batch, actor=world.manager, from_state="a", to_state="b", message="m", k=1)
        fields = ("event_type", "actor", "call", "object_type", "object_uuid", "from_state", "to_state", "message",
                  "context")
        assert [getattr(built, n) for n in fields] == [getattr(written, n) for n in fields] == [
            "X", world.manager, world.call, "AssignmentBatch", batch.uuid, "a", "b", "m", {"k": 1}]
        assert AuditEvent.objects.get(pk=written.pk).context == {"k": 1}

    def test_anonymous_actor_blank_states_and_the_call_by_id(self, world):
        built = audit.event("X", f.batch(world.entry), actor=AnonymousUser(), call=world.other_call.pk,
                            from_state=None, to_state=None)
        assert (built.actor, built.call_id, built.from_state, built.to_state) == (None, world.other_call.pk, "", "")

    def test_record_many_writes_in_order_with_one_insert(self, world):
        batches = [f.batch(world.entry, status="cancelled") for _ in range(5)]
        rows = [audit.event(f"E{i}", b, actor=world.manager) for i, b in enumerate(batches)]
        assert queries(lambda: audit.record_many(rows)) == 1
        stored = list(AuditEvent.objects.order_by("id"))
        assert [(e.event_type, e.object_uuid) for e in stored] == [(f"E{i}", b.uuid) for i, b in enumerate(batches)]
        assert queries(lambda: audit.record_many([])) == 0


class TestLock:
    def test_one_locking_query_in_primary_key_order_reading_ids_only(self, world):
        batches = reviewer_batches(world, 3)
        with CaptureQueriesContext(connection) as ctx:
            transitions.lock(AssignmentBatch.objects.filter(pk__in=[b.pk for b in batches]))
        (sql,) = [q["sql"] for q in ctx.captured_queries]
        if connection.features.has_select_for_update:
            assert "FOR UPDATE" in sql
        assert sql.startswith('SELECT "assignments_assignmentbatch"."id" AS "pk" FROM ')
        assert re.search(r'ORDER BY (1|"assignments_assignmentbatch"\."id") ASC', sql), sql


class TestMoveItems:
    def test_moves_status_fields_and_instances_with_one_event_each(self, world):
        batch = f.batch(world.entry, status="sent")
        first, second = f.item(batch, world.proposal), f.item(batch, world.proposal2)
        items = locked(batch)
        now = timezone.now()
        transitions.move_items(items, "declined", actor=world.reviewer, event_type="ASSIGNMENT_ITEM_DECLINED",
                               call=world.call, decline_reason="busy", responded_at=now)
        assert [(i.status, i.decline_reason, i.responded_at) for i in items] == [("declined", "busy", now)] * 2
        stored = AssignmentItem.objects.filter(pk__in=[first.pk, second.pk]).order_by("pk")
        assert [(i.status, i.has_coi, i.decline_reason, i.responded_at) for i in stored] == [
            ("declined", False, "busy", now)] * 2
        assert [(e.object_uuid, e.from_state, e.to_state, e.actor, e.call, e.context)
                for e in events("ASSIGNMENT_ITEM_DECLINED")] == [
            (first.uuid, "pending", "declined", world.reviewer, world.call, {}),
            (second.uuid, "pending", "declined", world.reviewer, world.call, {}),
        ]

    def test_has_coi_follows_the_status_both_ways(self, world):
        items = [f.item(f.batch(world.entry, status="sent"), world.proposal)]
        transitions.move_items(items, "coi_blocked", actor=None, event_type="B", call=world.call)
        assert (items[0].has_coi, AssignmentItem.objects.get(pk=items[0].pk).has_coi) == (True, True)
        transitions.move_items(items, "pending", actor=None, event_type="U", call=world.call)
        assert (items[0].has_coi, AssignmentItem.objects.get(pk=items[0].pk).has_coi) == (False, False)
        assert [(e.from_state, e.to_state) for e in AuditEvent.objects.order_by("id")] == [
            ("pending", "coi_blocked"), ("coi_blocked", "pending")]

    def test_without_a_call_each_event_takes_its_items_batch_call(self, world):
        mine = f.batch(world.entry, status="sent")
        other = f.batch(f.pool_entry(world.other_call, world.profile), status="sent")
        f.item(mine, world.proposal)
        f.item(other, f.proposal(f.round_(world.other_call)))
        items = locked(mine) + locked(other)
        transitions.move_items(items, "expired", actor=None, event_type="E")
        assert [e.call for e in events("E")] == [world.call, world.other_call]

    def test_nothing_to_move_costs_nothing(self, world):
        assert queries(lambda: transitions.move_items([], "expired", actor=None, event_type="E")) == 0

    def test_query_count_does_not_grow_with_the_items(self, world):
        one = reviewer_batches(world, 1)
        many = reviewer_batches(world, 12)
        for batches in (one, many):
            items = [item for b in batches for item in locked(b)]
            count = queries(lambda items=items: transitions.move_items(items, "expired", actor=None, event_type="E"))
            assert count == 2  # one UPDATE, one INSERT of the events
        assert len(events("E")) == 13


class TestBlockItems:
    def test_blocks_the_items_with_conflicts_and_links_them(self, world):
        batch = f.batch(world.entry, status="sent")
        hit, spared = f.item(batch, world.proposal), f.item(batch, world.proposal2)
        first, second = conflict(world, world.proposal), conflict(world, world.proposal, coi_type="COMPET")
        items = locked(batch)
        moved = transitions.block_items(items, {world.proposal.pk: [first.pk, second.pk]}, actor=world.manager,
                                        call=world.call)
        assert [i.pk for i in moved] == [hit.pk]
        hit.refresh_from_db()
        spared.refresh_from_db()
        assert (hit.status, hit.has_coi, spared.status) == ("coi_blocked", True, "pending")
        assert set(hit.coi_records.all()) == {first, second} and not spared.coi_records.exists()
        (blocked,) = events("ASSIGNMENT_ITEM_COI_BLOCKED")
        assert (blocked.object_uuid, blocked.from_state, blocked.to_state, blocked.actor) == (
            hit.uuid, "pending", "coi_blocked", world.manager)

    def test_an_item_blocked_already_only_gets_the_links(self, world):
        batch = f.batch(world.entry, status="sent")
        old, new = conflict(world, world.proposal), conflict(world, world.proposal, coi_type="COMPET")
        item = f.item(batch, world.proposal, status="coi_blocked")
        item.coi_records.add(old)
        moved = transitions.block_items(locked(batch, ["coi_blocked"]), {world.proposal.pk: [old.pk, new.pk]},
                                        actor=None, call=world.call)
        assert moved == [] and set(item.coi_records.all()) == {old, new}
        assert not AuditEvent.objects.exists()

    def test_a_key_matches_conflicts_to_items_by_pair(self, world):
        batch = f.batch(world.entry, status="sent")
        item = f.item(batch, world.proposal)
        found = conflict(world, world.proposal)
        items = list(AssignmentItem.objects.select_related("batch", "pool_entry").filter(pk=item.pk))

        def pair(i):
            return i.pool_entry.reviewer_id, i.proposal_id

        moved = transitions.block_items(items, {(world.profile.pk, world.proposal.pk): [found.pk]}, actor=None,
                                        key=pair)
        assert moved == items and list(item.coi_records.all()) == [found]
        assert events("ASSIGNMENT_ITEM_COI_BLOCKED")[0].call == world.call  # from the item's batch

    def test_query_count_does_not_grow_with_the_items(self, world):
        def block(count) -> int:
            batch = f.batch(f.pool_entry(world.call, f.profile(f.user())), status="sent")
            proposals = [f.proposal(world.round) for _ in range(count)]
            for proposal in proposals:
                f.item(batch, proposal)
            found = {p.pk: [conflict(world, p).pk] for p in proposals}
            items = locked(batch)
            return queries(lambda: transitions.block_items(items, found, actor=None, call=world.call))

        assert block(1) == block(10) == 3  # UPDATE, events, links
        assert AssignmentItem.objects.filter(status="coi_blocked").count() == 11


class TestCompleteBatches:
    def test_a_sent_batch_without_pending_items_is_responded(self, world):
        batch = f.batch(world.entry, status="sent")
        f.item(batch, world.proposal, status="declined")
        f.item(batch, world.proposal2, status="coi_blocked")
        before = timezone.now()
        assert transitions.complete_batches([batch.pk], actor=world.manager) == [batch]
        batch.refresh_from_db()
        assert batch.status == "responded" and batch.responded_at >= before
        (done,) = events("ASSIGNMENT_BATCH_RESPONDED")
        assert (done.object_uuid, done.from_state, done.to_state, done.actor, done.call) == (
            batch.uuid, "sent", "responded", world.manager, world.call)

    def test_an_empty_sent_batch_is_responded_too(self, world):
        batch = f.batch(world.entry, status="sent")
        assert transitions.complete_batches([batch.pk], actor=None) == [batch]

    def test_a_pending_item_keeps_the_batch_sent(self, world):
        batch = f.batch(world.entry, status="sent")
        f.item(batch, world.proposal, status="accepted")
        f.item(batch, world.proposal2)
        assert transitions.complete_batches([batch.pk], actor=None) == []
        batch.refresh_from_db()
        assert (batch.status, batch.responded_at) == ("sent", None)
        assert not AuditEvent.objects.exists()

    @pytest.mark.parametrize("status", ["draft", "responded", "expired", "cancelled"])
    def test_only_sent_batches_complete(self, world, status):
        batch = f.batch(world.entry, status=status)
        f.item(batch, world.proposal, status="declined")
        assert transitions.complete_batches([batch.pk, batch.pk], actor=None) == []
        batch.refresh_from_db()
        assert batch.status == status and not AuditEvent.objects.exists()

    def test_nothing_to_complete_costs_nothing(self, world):
        assert queries(lambda: transitions.complete_batches([], actor=None)) == 0

    def test_query_count_does_not_grow_with_the_batches(self, world):
        def complete(count) -> int:
            batches = reviewer_batches(world, count)
            AssignmentItem.objects.filter(batch__in=batches).update(status="declined")
            ids = [b.pk for b in batches]
            return queries(lambda: transitions.complete_batches(ids, actor=None))

        assert complete(1) == complete(12) == 4  # lock, read, UPDATE, events
        assert len(events("ASSIGNMENT_BATCH_RESPONDED")) == 13


class TestReopenBatches:
    def test_a_responded_batch_is_sent_again_once_whatever_its_copies(self, world):
        batch = f.batch(world.entry, status="responded")
        first, second = f.item(batch, world.proposal), f.item(batch, world.proposal2)
        copies = [i.batch for i in AssignmentItem.objects.select_related("batch").filter(pk__in=[first.pk, second.pk])]
        assert copies[0] is not copies[1]
        transitions.reopen_batches(copies, actor=world.manager)
        assert [(c.status, c.responded_at) for c in copies] == [("sent", None)] * 2
        batch.refresh_from_db()
        assert (batch.status, batch.responded_at) == ("sent", None)
        (reopened,) = events("ASSIGNMENT_BATCH_REOPENED")
        assert (reopened.object_uuid, reopened.from_state, reopened.to_state, reopened.actor, reopened.call) == (
            batch.uuid, "responded", "sent", world.manager, world.call)

    @pytest.mark.parametrize("status", ["draft", "sent", "expired", "cancelled"])
    def test_other_batches_are_left_alone(self, world, status):
        batch = f.batch(world.entry, status=status)
        assert queries(lambda: transitions.reopen_batches([batch], actor=None)) == 0
        batch.refresh_from_db()
        assert batch.status == status and not AuditEvent.objects.exists()

    def test_query_count_does_not_grow_with_the_batches(self, world):
        def reopen(count) -> int:
            batches = reviewer_batches(world, count, status="responded")
            return queries(lambda: transitions.reopen_batches(batches, actor=None))

        assert reopen(1) == reopen(12) == 2  # UPDATE, events
        assert AssignmentBatch.objects.filter(status="sent").count() == 13
