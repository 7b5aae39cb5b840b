"""`referee.calls.disclosure`: what each reader is shown of a proposal, and why, at every level of
the call's `invitation_proposal_disclosure` (§3.2, §3.12). The API and the mails render these
answers (tests/api/test_proposals.py, test_my_assignment_batches.py, tests/notifications)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referee.calls import disclosure
from referee.calls.disclosure import (
    ANONYMOUS,
    AUTHOR,
    CONFLICT,
    MANAGER,
    POOL,
    REVIEWER,
    STAFF,
    SUPPORT,
    TEAM,
    UNRELATED,
    Level,
    in_invitation,
    readable_by,
)
from referee.reviews.models import Review
from tests import factories as f

pytestmark = pytest.mark.django_db

LEVELS = list(Level)
# (summary shown, description shown) to a pool reviewer at each level.
TEXT = {Level.TITLES_ONLY: (False, False), Level.TITLES_AND_SUMMARIES: (True, False),
        Level.FULL_DETAILS: (True, True)}


@pytest.fixture(params=LEVELS)
def level(request, world):
    world.call.coi_config.invitation_proposal_disclosure = request.param
    world.call.coi_config.save()
    return request.param


def shown(user, proposal):
    return readable_by(user, [proposal])[proposal.pk]


def assert_full(answer, expected, proposal):
    assert answer is expected and answer.full and answer.visible and not answer.blocked
    assert answer.summary_of(proposal) == proposal.project_summary
    assert answer.description_of(proposal) == proposal.description


def assert_pool_level(answer, level, proposal):
    summary, description = TEXT[level]
    assert answer is POOL[level] and answer.level == level and answer.visible
    assert not answer.full and not answer.blocked
    assert answer.summary_of(proposal) == (proposal.project_summary if summary else "")
    assert answer.description_of(proposal) == (proposal.description if description else "")


def assert_title_only(answer):
    assert answer is CONFLICT and answer.visible and answer.blocked and not answer.full
    assert (answer.summary, answer.description) == (False, False)


def assert_hidden(answer, expected):
    assert answer is expected and not answer.visible and not answer.full
    assert (answer.summary, answer.description) == (False, False)


class TestReadableBy:
    def test_anonymous_reads_nothing(self, world, level):
        assert_hidden(shown(AnonymousUser(), world.proposal), ANONYMOUS)

    @pytest.mark.parametrize("role", ["stranger", "other_manager"])
    def test_unrelated_users_read_nothing(self, world, level, role):
        assert_hidden(shown(getattr(world, role), world.proposal), UNRELATED)

    def test_invited_pool_reviewer_reads_nothing_until_accepting(self, world, level):
        world.entry.invitation_status = "pending"
        world.entry.save()
        assert_hidden(shown(world.reviewer, world.proposal), UNRELATED)

    def test_accepted_pool_reviewer_reads_per_level(self, world, level):
        assert_pool_level(shown(world.reviewer, world.proposal), level, world.proposal)

    def test_pool_reviewer_reads_no_proposal_outside_review(self, world, level):
        draft = f.proposal(world.round, state="draft")
        assert_hidden(shown(world.reviewer, draft), UNRELATED)

    @pytest.mark.parametrize("state", ["in_review", "submitted"])
    def test_reviewer_with_an_active_review_reads_in_full(self, world, level, state):
        item = f.item(f.batch(world.entry, status="responded"), world.proposal, status="accepted")
        item.review = Review.objects.create(proposal=world.proposal, reviewer=world.reviewer, state=state)
        item.save()
        assert_full(shown(world.reviewer, world.proposal), REVIEWER, world.proposal)

    def test_a_rejected_review_leaves_the_pool_level(self, world, level):
        Review.objects.create(proposal=world.proposal, reviewer=world.reviewer, state="rejected")
        assert_pool_level(shown(world.reviewer, world.proposal), level, world.proposal)

    @pytest.mark.parametrize("rule,status", [
        ("recusal_required", "pending"), ("management_allowed", "pending"), ("disclosure_only", "recused"),
    ])
    def test_blocking_conflict_leaves_the_title_only(self, world, level, rule, status):
        f.conflict(world.profile, world.proposal, rule=rule, status=status)
        f.item(f.batch(world.entry, status="sent"), world.proposal, status="coi_blocked")
        assert_title_only(shown(world.reviewer, world.proposal))
        assert_pool_level(shown(world.reviewer, world.proposal2), level, world.proposal2)

    @pytest.mark.parametrize("rule,status", [
        ("disclosure_only", "pending"), ("recusal_required", "dismissed"), ("management_allowed", "waived"),
    ])
    def test_conflicts_that_do_not_block_leave_the_level(self, world, level, rule, status):
        f.conflict(world.profile, world.proposal, rule=rule, status=status)
        assert_pool_level(shown(world.reviewer, world.proposal), level, world.proposal)

    def test_call_manager_reads_in_full_despite_a_conflict(self, world, level):
        world.profile.user = world.manager  # the manager is also in the pool, with a blocking conflict
        world.profile.save()
        f.conflict(world.profile, world.proposal)
        assert_full(shown(world.manager, world.proposal), MANAGER, world.proposal)

    def test_author_and_team_read_in_full(self, world, level):
        member = f.user()
        world.proposal.team.add(member)
        assert_full(shown(world.applicant, world.proposal), AUTHOR, world.proposal)
        assert_full(shown(member, world.proposal), TEAM, world.proposal)

    @pytest.mark.parametrize("role,expected", [("support", SUPPORT), ("staff", STAFF)])
    def test_staff_and_support_read_in_full(self, world, level, role, expected):
        assert_full(shown(getattr(world, role), world.proposal), expected, world.proposal)

    def test_every_answer_says_why(self):
        answers = [ANONYMOUS, UNRELATED, CONFLICT, STAFF, SUPPORT, MANAGER, AUTHOR, TEAM, REVIEWER, *POOL.values()]
        assert all(answer.reason.endswith(".") for answer in answers)
        assert len({answer.reason for answer in answers}) == len(answers)
        assert "titles and summaries" in POOL[Level.TITLES_AND_SUMMARIES].reason


class TestQueries:
    def setup_page(self, world, n):
        page = [f.proposal(world.round) for _ in range(n)]
        f.conflict(world.profile, page[0])
        Review.objects.create(proposal=page[1], reviewer=world.reviewer, state="in_review")
        return page

    def count(self, user, proposals):
        with CaptureQueriesContext(connection) as queries:
            answers = readable_by(user, proposals)
        return len(queries), answers

    def test_a_page_costs_the_same_queries_whatever_its_length(self, world):
        for n in (3, 12):
            reviewer = type(world.reviewer).objects.get(pk=world.reviewer.pk)  # no cached roles
            page = self.setup_page(world, n)
            queries, answers = self.count(reviewer, page)
            assert queries == 2  # the managed calls (cached on the user for the request), the reading
            assert answers[page[0].pk] is CONFLICT and answers[page[1].pk] is REVIEWER
            assert {answers[p.pk] for p in page[2:]} == {POOL[Level.TITLES_ONLY]}

    def test_the_managed_calls_are_read_once_per_request(self, world):
        page = self.setup_page(world, 3)
        readable_by(world.reviewer, page)
        assert self.count(world.reviewer, page)[0] == 1

    def test_a_managers_own_calls_cost_no_query(self, world):
        page = [world.proposal, world.proposal2]
        readable_by(world.manager, page)  # reads the managed calls, kept on the user
        queries, answers = self.count(world.manager, page)
        assert queries == 0 and set(answers.values()) == {MANAGER}

    def test_full_readers_of_other_proposals_cost_one_query(self, world):
        own = f.proposal(f.round_(world.other_call), created_by=world.manager)
        page = [world.proposal, own]
        readable_by(world.manager, page)
        queries, answers = self.count(world.manager, page)
        assert queries == 1 and answers == {world.proposal.pk: MANAGER, own.pk: AUTHOR}

    @pytest.mark.parametrize("user", ["staff", "support", "anonymous"])
    def test_no_query_for_staff_support_and_anonymous(self, world, user):
        reader = AnonymousUser() if user == "anonymous" else getattr(world, user)
        assert self.count(reader, [world.proposal, world.proposal2])[0] == 0

    def test_no_proposals_no_query(self, world):
        assert self.count(world.reviewer, []) == (0, {})


class TestInInvitation:
    @pytest.mark.parametrize("status", ["pending", "accepted", "declined", "expired"])
    def test_the_call_level_whatever_the_item_status(self, world, level, status):
        item = f.item(f.batch(world.entry, status="sent"), world.proposal, status=status)
        assert_pool_level(in_invitation(level, item), level, world.proposal)

    def test_accepting_does_not_widen_the_invitation(self, world, level):
        """The proposal itself is then read in full; the invitation keeps the call's level (§3.2)."""
        review = Review.objects.create(proposal=world.proposal, reviewer=world.reviewer, state="in_review")
        item = f.item(f.batch(world.entry, status="responded"), world.proposal, status="accepted", review=review)
        assert_pool_level(in_invitation(level, item), level, world.proposal)
        assert shown(world.reviewer, world.proposal) is REVIEWER

    def test_a_blocked_item_shows_the_title_only(self, world, level):
        f.conflict(world.profile, world.proposal)
        item = f.item(f.batch(world.entry, status="sent"), world.proposal, status="coi_blocked")
        assert_title_only(in_invitation(level, item))

    def test_levels_are_the_calls_levels(self):
        assert set(POOL) == set(Level) and disclosure.FULL not in POOL and disclosure.HIDDEN not in POOL
