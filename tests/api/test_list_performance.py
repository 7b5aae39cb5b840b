"""Lists at scale (docs/decisions.md, "List performance"): every nullable `o` key keeps NULLs
last in both directions, the SQL keeps the shapes that let PostgreSQL read a page from an index
(no DISTINCT, no grouped join, NULLS LAST only on nullable columns), and the number of queries of
each changed list stays constant as the rows visible to each role grow."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referee.conflicts.models import COIDetectionJob, ConflictOfInterest
from referee.reviewers.models import ReviewerBid
from referee.reviews.models import Review
from tests import factories as f
from tests.helpers import assert_constant_queries, client_for

BATCHES = "/api/assignment-batches/"
ITEMS = "/api/assignment-items/"
POOL = "/api/call-reviewer-pools/"


def order(user, url, o, params):
    response = client_for(user).get(url, {"o": o, **params})
    assert response.status_code == 200, response.content
    return [row["uuid"] for row in response.json()]


def assert_nulls_last(user, url, key, rows, **params):
    """`rows`: (uuid hex, value) in creation order. Non-NULL values sort by value, then NULLs by
    the tie-breaker `-created`, for `o=key` and `o=-key` alike."""
    valued = sorted((row for row in rows if row[1] is not None), key=lambda row: row[1])
    nulls = [uuid for uuid, value in reversed(rows) if value is None]
    assert order(user, url, key, params) == [uuid for uuid, _ in valued] + nulls
    assert order(user, url, f"-{key}", params) == [uuid for uuid, _ in reversed(valued)] + nulls


@pytest.mark.django_db
class TestNullsLast:
    @pytest.mark.parametrize("key", ["sent_at", "expires_at"])
    @pytest.mark.parametrize("role", ["manager", "staff"])
    def test_batches(self, world, key, role):
        now = timezone.now()
        other = f.pool_entry(world.call, f.profile(f.user()))
        rows = [f.batch(world.entry), f.batch(other, status="sent", sent_at=now - timedelta(days=1)),
                f.batch(world.entry, status="cancelled"),
                f.batch(other, status="expired", sent_at=now - timedelta(days=9))]
        assert_nulls_last(getattr(world, role), BATCHES, key, [(b.uuid.hex, getattr(b, key)) for b in rows])

    def test_my_batches(self, world):
        now = timezone.now()
        rows = [f.batch(world.entry, status="sent", sent_at=now - timedelta(days=2)),
                f.batch(world.entry, status="expired", sent_at=None, expires_at=None),
                f.batch(world.entry, status="responded", sent_at=now - timedelta(days=5))]
        assert_nulls_last(world.reviewer, "/api/my-assignment-batches/", "sent_at",
                          [(b.uuid.hex, b.sent_at) for b in rows], status=["sent", "responded", "expired"])

    @pytest.mark.parametrize("key", ["affinity_score", "responded_at"])
    @pytest.mark.parametrize("role", ["manager", "reviewer"])
    def test_items(self, world, key, role):
        now = timezone.now()
        batch = f.batch(world.entry, status="sent")
        values = [(None, None), (0.7, now - timedelta(hours=1)), (None, None), (0.2, now - timedelta(hours=5))]
        rows = [f.item(batch, f.proposal(world.round), status="accepted" if score else "pending",
                       affinity_score=score, responded_at=at) for score, at in values]
        assert_nulls_last(getattr(world, role), ITEMS, key, [(i.uuid.hex, getattr(i, key)) for i in rows])

    def test_pool(self, world):
        scores = [None, 0.4, None, 0.9]
        rows = [world.entry] + [f.pool_entry(world.call, f.profile(f.user())) for _ in scores[1:]]
        for entry, score in zip(rows, scores, strict=True):
            type(entry).objects.filter(pk=entry.pk).update(expertise_match_score=score)
        expected = [(e.uuid.hex, s) for e, s in zip(rows, scores, strict=True)]
        assert_nulls_last(world.manager, POOL, "expertise_match_score", expected)
        pool = f"/api/proposal-protected-calls/{world.call.uuid.hex}/reviewer-pool/"
        assert_nulls_last(world.manager, pool, "expertise_match_score", expected)

    @pytest.mark.parametrize("key", ["started_at", "completed_at"])
    def test_detection_jobs(self, world, key):
        now = timezone.now()
        rows = [COIDetectionJob.objects.create(call=world.call, state="failed", started_at=now, completed_at=now),
                COIDetectionJob.objects.create(call=world.call, state="failed"),
                COIDetectionJob.objects.create(call=world.call, state="completed", started_at=now - timedelta(hours=2),
                                               completed_at=now - timedelta(hours=1))]
        assert_nulls_last(world.manager, "/api/coi-detection-jobs/", key,
                          [(job.uuid.hex, getattr(job, key)) for job in rows])

    def test_calls_by_organisation(self, world):
        """`manager__customer__name` reaches the name through a nullable foreign key."""
        world.call.manager = f.customer("Zeta")
        world.call.save()
        rows = [(world.call.uuid.hex, "Zeta"), (world.other_call.uuid.hex, None)]
        rows.append((f.call(manager=f.customer("Alpha")).uuid.hex, "Alpha"))
        assert_nulls_last(world.staff, "/api/proposal-protected-calls/", "manager__customer__name", rows)


def statements(user, url, params) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client_for(user).get(url, params)
    assert response.status_code == 200, response.content
    return [query["sql"] for query in queries]


@pytest.mark.django_db
class TestSql:
    @pytest.mark.parametrize("url,params", [
        (BATCHES, {"status": ["draft", "sent"], "source": ["manual", "algorithm"]}),
        ("/api/my-assignment-batches/", {"status": ["sent", "expired"]}),
        (ITEMS, {"status": ["pending", "accepted"]}),
        (POOL, {"invitation_status": ["accepted", "pending"]}),
        ("/api/conflicts-of-interest/", {"status": ["pending"], "severity": ["real"], "coi_type": ["INST_SAME"],
                                         "detection_method": ["automated"]}),
        ("/api/coi-detection-jobs/", {"state": ["completed", "failed"]}),
        ("/api/reviewer-bids/", {"bid": ["eager", "willing"]}),
        ("/api/proposal-reviews/", {"state": ["in_review", "submitted"]}),
        ("/api/proposal-protected-calls/", {"state": ["active", "draft"]}),
        ("/api/proposal-proposals/", {"state": ["submitted", "draft"]}),
    ])
    def test_multiple_choice_filters_select_no_distinct(self, world, url, params):
        f.batch(world.entry, status="sent")
        for user in (world.staff, world.manager, world.reviewer):
            assert not [sql for sql in statements(user, url, params) if "DISTINCT" in sql]

    def test_batch_counts_are_computed_for_the_page_only(self, world):
        f.item(f.batch(world.entry, status="sent"), world.proposal)
        for user in (world.staff, world.manager):
            for params in ({}, {"status": "sent"}):  # unfiltered: kept counts on PostgreSQL; else COUNT(*)
                count, page = statements(user, BATCHES, params)[-2:]
                assert "COUNT(*)" in count or "core_rowcount" in count
                assert "assignmentitem" not in count
                assert "GROUP BY" not in page and "JOIN \"assignments_assignmentitem\"" not in page

    def test_nulls_last_only_on_nullable_columns(self, world):
        f.batch(world.entry, status="sent")
        page = statements(world.manager, BATCHES, {})[-1]
        assert '"created" DESC' in page and "NULLS LAST" not in page
        page = statements(world.manager, BATCHES, {"o": "-sent_at"})[-1]
        assert '"sent_at" DESC NULLS LAST' in page and '"created" DESC, "assignments_assignmentbatch"."uuid" ASC' in page

    def test_the_profiles_count_reads_no_user_unless_the_name_orders_or_filters_it(self, world):
        f.profile(f.user())

        def profile_statements(params):
            sqls = [sql for sql in statements(world.staff, "/api/reviewer-profiles/", params)
                    if 'FROM "reviewers_reviewerprofile"' in sql]
            return next(sql for sql in sqls if "COUNT(*)" in sql), next(sql for sql in sqls if "ORDER BY" in sql)

        count, _ = profile_statements({})
        assert "core_user" not in count
        _, ordered = profile_statements({"o": "user_name"})
        assert "LAST_NAME" in ordered.upper().split("ORDER BY")[1]  # ordered by the full name
        count, _ = profile_statements({"user_name": "rev"})
        assert "core_user" in count

    def test_a_callers_calls_are_found_without_reading_every_calls_proposals(self, world):
        """The proposals branch was correlated with each call: 2,000 proposals read per call."""
        for user in (world.manager, world.reviewer, world.applicant):
            count = next(sql for sql in statements(user, "/api/proposal-protected-calls/", {}) if "COUNT(*)" in sql)
            assert "EXISTS" not in count and '= ("calls_call"."id")' not in count


def proposals(world, n=3):
    return [f.proposal(world.round) for _ in range(n)]


def add_reviewer_batches(world):
    for proposal in proposals(world):
        f.item(f.batch(world.entry, status="sent"), proposal)


def add_reviewer_reviews(world):
    for proposal in proposals(world):
        Review.objects.create(proposal=proposal, reviewer=world.reviewer)


def add_reviewer_entries(world):
    for _ in range(3):
        f.pool_entry(f.call(), world.profile)


def add_reviewer_conflicts(world):
    for proposal in proposals(world):
        ConflictOfInterest.objects.create(reviewer=world.profile, proposal=proposal, call=world.call,
                                          coi_type="INST_SAME", severity="real")


def add_reviewer_bids(world):
    for proposal in proposals(world):
        ReviewerBid.objects.create(reviewer=world.profile, proposal=proposal, bid="eager")


@pytest.mark.django_db
@pytest.mark.parametrize("url,add_rows", [
    (BATCHES, add_reviewer_batches),
    (ITEMS, add_reviewer_batches),
    ("/api/proposal-reviews/", add_reviewer_reviews),
    (POOL, add_reviewer_entries),
    ("/api/conflicts-of-interest/", add_reviewer_conflicts),
    ("/api/reviewer-bids/", add_reviewer_bids),
])
@pytest.mark.parametrize("role", ["reviewer", "manager", "staff"])
def test_query_counts_are_constant_for_each_role(world, url, add_rows, role):
    """The rows added are the reviewer's own, which each of the three roles sees (managers through
    the world's call, except the pool entries of new calls: the count must not grow either way)."""
    add_rows(world)
    assert_constant_queries(client_for(getattr(world, role)), url, lambda: add_rows(world))


@pytest.mark.django_db
def test_a_chosen_status_reaches_postgresql_as_a_literal(world):
    """A prepared statement's generic plan then knows which status it counts (a rare one is read
    from the status index, not by scanning every item in date order)."""
    blocked = f.item(f.batch(world.entry, status="sent"), world.proposal, status="coi_blocked")
    f.item(f.batch(world.entry, status="sent"), world.proposal2)
    reached = []

    def record(execute, sql, params, many, context):
        reached.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        rows = client_for(world.manager).get(ITEMS, {"status": "coi_blocked"}).json()
    assert [row["uuid"] for row in rows] == [blocked.uuid.hex]
    page = next(sql for sql in reached if "ORDER BY" in sql)
    if connection.vendor == "postgresql":
        assert "\"status\" = 'coi_blocked'" in page
    else:  # SQLite: statements are not prepared, nothing is rewritten
        assert "\"status\" = %s" in page
