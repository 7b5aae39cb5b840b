"""The permission predicates of every app, asked directly for each role of §1.

Each row names a predicate, the object it is asked about and the roles it allows; every other
role must be refused. The API's role tests (tests/api) check the same rules through HTTP."""

import pytest
from django.contrib.auth.models import AnonymousUser

from referee.assignments import predicates as assignments
from referee.calls import predicates as calls
from referee.conflicts import predicates as conflicts
from referee.conflicts.models import ConflictOfInterest
from referee.core import predicates as core
from referee.reviewers import predicates as reviewers
from referee.reviewers.models import ReviewerBid
from referee.reviews import predicates as reviews
from referee.reviews.models import Review
from tests import factories as f

# The roles of §1 (the `world` fixture), and the proposals' creator, who is none of them.
ALL_ROLES = ("anonymous", "stranger", "reviewer", "other_manager", "manager", "support", "staff", "applicant")


def subjects(w):
    """The objects the predicates are asked about, all of `w.call` and its reviewer `w.reviewer`."""
    batch = f.batch(w.entry, status="sent")
    return {
        "call": w.call,
        "configuration": w.call.assignment_config,
        "proposal": w.proposal,
        "profile": w.profile,
        "entry": w.entry,
        "bid": ReviewerBid(reviewer=w.profile, call=w.call, proposal=w.proposal, bid="eager"),
        "conflict": ConflictOfInterest(call=w.call, reviewer=w.profile, proposal=w.proposal),
        "batch": batch,
        "item": f.item(batch, w.proposal),
        "review": Review(proposal=w.proposal, reviewer=w.reviewer),
        "reviewer": w.reviewer,
    }


MANAGERS = {"manager", "staff"}
# predicate, the subject it is asked about (None: a predicate of the user alone), the roles allowed
CASES = [
    (core.is_read_only, None, {"support"}),
    (core.can_manage_users, None, {"staff"}),
    (core.can_change_user, "reviewer", {"reviewer", "staff"}),
    (calls.can_create_call, None, {"staff"}),
    (calls.can_manage_call, "call", MANAGERS),
    (calls.can_read_call_management, "call", MANAGERS | {"support"}),
    (calls.can_change_call_managers, "call", {"staff"}),
    (calls.can_manage_assignment_configuration, "configuration", MANAGERS),
    (calls.can_edit_proposal, "proposal", MANAGERS | {"applicant"}),
    (calls.can_submit_proposal, "proposal", {"applicant"}),
    (reviewers.can_edit_profile, "profile", {"reviewer", "staff"}),
    (reviewers.can_manage_pool_entry, "entry", MANAGERS),
    (reviewers.can_respond_to_invitation, "entry", {"reviewer"}),
    (reviewers.can_change_bid, "bid", {"reviewer"}),
    (conflicts.can_manage_conflict, "conflict", MANAGERS),
    (assignments.can_manage_batch, "batch", MANAGERS),
    (assignments.can_manage_item, "item", MANAGERS),
    (assignments.can_read_item_suggestions, "item", MANAGERS | {"support"}),
    (assignments.can_respond_to_item, "item", {"reviewer"}),
    (reviews.can_create_reviews, None, MANAGERS | {"other_manager"}),
    (reviews.can_create_review_for, "proposal", MANAGERS),
    (reviews.can_write_review, "review", {"reviewer"}),
    (reviews.can_reject_review, "review", MANAGERS | {"reviewer"}),
]


@pytest.mark.parametrize(("predicate", "subject", "allowed"), CASES, ids=[case[0].__name__ for case in CASES])
def test_each_role(world, predicate, subject, allowed):
    objects = subjects(world)
    answers = {}
    for role in ALL_ROLES:
        user = AnonymousUser() if role == "anonymous" else getattr(world, role)
        args = () if subject is None else (objects[subject],)
        answers[role] = predicate(user, *args)
    assert answers == {role: role in allowed for role in ALL_ROLES}


def test_support_who_is_staff_writes(db):
    both = f.user(is_staff=True, is_support=True)
    assert not core.is_read_only(both)
    assert calls.can_manage_call(both, f.call())


def test_a_manager_manages_only_the_calls_listed(world):
    """Managing one call gives nothing on another (the other call's manager above, and back)."""
    assert calls.can_manage_call(world.other_manager, world.other_call)
    assert not calls.can_manage_call(world.manager, world.other_call)
