"""The read models of issue 11 item 4, called directly: the conflict summary, a reviewer's stats
and profile completeness, the proposals a request names, and send-all as a domain action."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import OuterRef
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referee.assignments.domain import send_all_batches
from referee.assignments.requested import NOT_IN_CALL, NOT_OPEN, named_proposals, skip_row, take_named
from referee.assignments.workload import subquery_count
from referee.calls.models import COI_TYPE_CODES
from referee.conflicts.models import ConflictOfInterest
from referee.conflicts.queries import summarise_conflicts
from referee.reviewers.models import CallReviewerPool, ReviewerAffiliation, ReviewerProfile
from referee.reviewers.queries import COMPLETENESS_FIELDS, profile_completeness, reviewer_stats
from referee.reviewers.serializers_profiles import attach_profile_rows
from referee.reviews.models import Review
from tests import factories as f

pytestmark = pytest.mark.django_db


def conflict(call, profile, proposal, **fields):
    fields = {"coi_type": "INST_FORMER", "severity": "apparent", "status": "pending", **fields}
    return ConflictOfInterest.objects.create(call=call, reviewer=profile, proposal=proposal, **fields)


class TestConflictSummary:
    def test_every_value_is_a_key_with_zeros_for_a_call_without_conflicts(self, world, django_assert_num_queries):
        with django_assert_num_queries(1):
            summary = summarise_conflicts(world.call)
        assert summary == {
            "total": 0,
            "by_status": dict.fromkeys(("pending", "dismissed", "waived", "recused"), 0),
            "by_severity": dict.fromkeys(("real", "apparent", "potential"), 0),
            "by_type": dict.fromkeys(COI_TYPE_CODES, 0),
        }

    def test_counts_the_calls_conflicts_only_in_one_query(self, world, django_assert_num_queries):
        other = f.profile(f.user())
        conflict(world.call, world.profile, world.proposal, severity="real", status="recused")
        conflict(world.call, world.profile, world.proposal2, coi_type="ROLE_NAMED")
        conflict(world.call, other, world.proposal, status="waived")
        foreign_proposal = f.proposal(f.round_(world.other_call))
        conflict(world.other_call, world.profile, foreign_proposal, severity="potential")
        with django_assert_num_queries(1):
            summary = summarise_conflicts(world.call)
        assert summary["total"] == 3
        assert summary["by_status"] == {"pending": 1, "dismissed": 0, "waived": 1, "recused": 1}
        assert summary["by_severity"] == {"real": 1, "apparent": 2, "potential": 0}
        assert {key: n for key, n in summary["by_type"].items() if n} == {"INST_FORMER": 2, "ROLE_NAMED": 1}


class TestReviewerStats:
    def test_no_profiles_no_query(self, django_assert_num_queries):
        with django_assert_num_queries(0):
            assert reviewer_stats([]) == {}

    def test_a_profile_without_history_has_zeros_and_nulls(self, world):
        assert reviewer_stats([world.profile]) == {world.profile.pk: {
            "uuid": world.profile.uuid.hex, "total_reviews_completed": 0, "total_reviews_declined": 0,
            "total_reviews_timeout": 0, "average_review_time_days": None, "average_score_given": None,
            "last_review_date": None, "quality_rating": None, "quality_rating_count": 0,
        }}

    def test_reviews_and_items_of_every_call_counted_in_three_queries(self, world, django_assert_num_queries):
        start = timezone.now() - timedelta(days=10)
        for proposal, score, days in ((world.proposal, 4, 2), (world.proposal2, None, 3)):
            review = Review.objects.create(proposal=proposal, reviewer=world.reviewer, state="submitted",
                                           summary_score=score)
            Review.objects.filter(pk=review.pk).update(created=start, modified=start + timedelta(days=days))
        Review.objects.create(proposal=f.proposal(world.round), reviewer=world.reviewer, state="in_review")
        proposals = [f.proposal(world.round) for _ in range(4)]
        answered = f.batch(world.entry, status="responded")
        f.item(answered, proposals[0], status="declined", responded_at=timezone.now())
        f.item(answered, proposals[1], status="reassigned", responded_at=timezone.now())
        f.item(answered, proposals[2], status="reassigned")  # reassigned unanswered: not a decline
        f.item(f.batch(world.entry, status="expired"), proposals[3], status="expired")
        f.item(f.batch(world.entry, status="cancelled"), proposals[3], status="expired")  # not a timeout
        elsewhere = f.pool_entry(world.other_call, world.profile)
        f.item(f.batch(elsewhere, status="responded"), f.proposal(f.round_(world.other_call)), status="declined",
               responded_at=timezone.now())
        stranger = f.profile(world.stranger)
        with django_assert_num_queries(3):
            stats = reviewer_stats([world.profile, stranger])
        row = stats[world.profile.pk]
        assert (row["total_reviews_completed"], row["average_score_given"], row["average_review_time_days"]) == (
            2, 4.0, 2.5)
        assert row["last_review_date"] == (start + timedelta(days=3)).date()
        assert (row["total_reviews_declined"], row["total_reviews_timeout"]) == (3, 1)
        assert stats[stranger.pk]["total_reviews_completed"] == 0

    def test_the_item_counts_are_read_from_the_partial_indexes_alone(self, world):
        """The counted statuses and the statement's columns match `item_stats_by_entry` and
        `batch_cancelled_ids`: with the table scans off, PostgreSQL answers from them alone
        (on a table this small it would otherwise scan it). A status added to the count, or a
        column read, that the index lacks fails here."""
        f.item(f.batch(world.entry, status="expired"), world.proposal, status="expired")
        f.item(f.batch(world.entry, status="cancelled"), world.proposal2, status="expired")
        with CaptureQueriesContext(connection) as queries:
            reviewer_stats([world.profile])
        if connection.vendor != "postgresql":
            return  # SQLite has no INCLUDE: its index holds the key alone
        sql = queries.captured_queries[-1]["sql"]
        assert "assignments_assignmentitem" in sql.split(" FROM ")[1]
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Index Only Scan using item_stats_by_entry" in plan, plan
        assert "Index Only Scan using batch_cancelled_ids" in plan, plan


class TestProfileCompleteness:
    def read(self, profile):
        fresh = ReviewerProfile.objects.get(pk=profile.pk)
        attach_profile_rows([fresh])
        return fresh

    def test_an_empty_profile_misses_every_part(self, world):
        assert profile_completeness(self.read(world.profile)) == {
            "is_complete": False, "missing_fields": list(COMPLETENESS_FIELDS),
            "mandatory_fields": list(COMPLETENESS_FIELDS), "enforcement_enabled": False, "percentage": 0,
        }

    def test_parts_present_are_not_missing(self, world):
        world.profile.biography, world.profile.orcid_id = "  Ecologist ", "0000-0002-1825-0097"
        world.profile.save()
        ReviewerAffiliation.objects.create(profile=world.profile, organization_name="Institute")
        completeness = profile_completeness(self.read(world.profile))
        assert completeness["missing_fields"] == ["expertise", "publications"]
        assert (completeness["is_complete"], completeness["percentage"]) == (False, 60)

    def test_a_blank_biography_is_missing(self, world):
        world.profile.biography = "   "
        world.profile.save()
        assert "biography" in profile_completeness(self.read(world.profile))["missing_fields"]


class TestNamedProposals:
    def test_uuids_once_each_in_request_order_and_the_calls_proposals_found(self, world):
        foreign = f.proposal(f.round_(world.other_call))
        unknown = uuid.uuid4()
        keys, found = named_proposals(world.call, [world.proposal2.uuid, unknown, foreign.uuid, world.proposal2.uuid,
                                                   world.proposal.uuid])
        assert keys == [world.proposal2.uuid, unknown, foreign.uuid, world.proposal.uuid]
        assert found == {world.proposal.uuid: world.proposal, world.proposal2.uuid: world.proposal2}

    def test_foreign_and_closed_proposals_skipped_with_their_reason(self, world):
        closed = f.proposal(world.round, state="draft")
        unknown = uuid.uuid4()
        skipped = []
        taken = take_named(*named_proposals(world.call, [unknown, closed.uuid, world.proposal.uuid]), skipped)
        assert taken == [world.proposal]
        assert skipped == [
            {"proposal_uuid": unknown.hex, "proposal_name": "", "reason": NOT_IN_CALL},
            {"proposal_uuid": closed.uuid.hex, "proposal_name": closed.name, "reason": NOT_OPEN},
        ]

    def test_further_refusals_in_order_after_the_common_ones_with_details(self, world):
        closed = f.proposal(world.round, state="accepted")
        keys, found = named_proposals(world.call, [closed.uuid, world.proposal.uuid, world.proposal2.uuid])
        skipped = []
        taken = take_named(keys, found, skipped, refusals=(
            (lambda p: True, "first"),  # never reached for the closed proposal: NOT_OPEN comes first
            (lambda p: p == world.proposal, "second"),
        ), assigned=0)
        assert taken == []
        assert [(row["proposal_name"], row["reason"], row["assigned"]) for row in skipped] == [
            (closed.name, NOT_OPEN, 0), (world.proposal.name, "first", 0), (world.proposal2.name, "first", 0)]

    def test_skip_row_keeps_the_key_order_of_the_answer(self, world):
        row = skip_row(world.proposal.uuid, "P", "why", required=2, suggestion=None)
        assert list(row) == ["proposal_uuid", "proposal_name", "reason", "required", "suggestion"]


class TestSubqueryCount:
    def test_zero_when_no_rows_and_the_count_otherwise(self, world):
        empty = f.pool_entry(world.call, f.profile(world.stranger))
        conflict(world.call, world.profile, world.proposal)
        conflict(world.call, world.profile, world.proposal2)
        conflicts = ConflictOfInterest.objects.filter(reviewer=OuterRef("reviewer"), call=OuterRef("call"))
        counted = dict(CallReviewerPool.objects.filter(call=world.call).annotate(
            n=subquery_count(conflicts, "reviewer")).values_list("pk", "n"))
        assert counted == {world.entry.pk: 2, empty.pk: 0}


class TestSendAll:
    def test_without_uuids_every_draft_is_sent_and_refusals_are_skipped(self, world):
        sendable = f.batch(world.entry)
        f.item(sendable, world.proposal)
        empty = f.batch(f.pool_entry(world.call, f.profile(world.stranger)))  # nothing pending: refused
        f.batch(f.pool_entry(world.call, f.profile(world.applicant)), status="sent")  # not a draft: not asked
        assert send_all_batches(world.call, actor=world.manager) == {"batches_sent": 1, "skipped": 1}
        sendable.refresh_from_db()
        empty.refresh_from_db()
        assert (sendable.status, empty.status) == ("sent", "draft")

    def test_named_uuids_unknown_foreign_and_repeated_count_as_skipped(self, world):
        batch = f.batch(world.entry)
        f.item(batch, world.proposal)
        other_entry = f.pool_entry(world.other_call, world.profile)
        foreign = f.batch(other_entry)
        f.item(foreign, f.proposal(f.round_(world.other_call)))
        asked = [batch.uuid, batch.uuid, uuid.uuid4(), foreign.uuid]
        assert send_all_batches(world.call, actor=world.manager, batch_uuids=asked) == {
            "batches_sent": 1, "skipped": 3}
        foreign.refresh_from_db()
        assert foreign.status == "draft"
