"""`visible_to(user)` of the resources whose rule had no queryset of its own: the rows only a
call's managers read (audit events, detection jobs, proposed assignments, assignment
configurations), rounds (seen with their call) and profile rows (seen with their profile)."""

import uuid

import pytest

from referee.assignments.models import ProposedAssignment
from referee.calls.models import CallAssignmentConfiguration, Round
from referee.conflicts.models import COIDetectionJob
from referee.core.models import AuditEvent
from referee.reviewers.models import ReviewerAffiliation, ReviewerExpertise, ReviewerPublication
from tests import factories as f

ROLES = ("stranger", "reviewer", "other_manager", "manager", "support", "staff", "applicant")


def seen_by(world, queryset, rows) -> set:
    """The roles to whom every one of `rows` is visible (and asserting none sees only some)."""
    ids = {row.pk for row in rows}
    seen = set()
    for role in ROLES:
        visible = ids & set(queryset.visible_to(getattr(world, role)).values_list("pk", flat=True))
        assert visible in (set(), ids), role
        if visible:
            seen.add(role)
    return seen


MANAGERS = {"manager", "staff", "support"}


def event(call):
    return AuditEvent.objects.create(event_type="TEST_EVENT", call=call, object_type="Call", object_uuid=uuid.uuid4())


@pytest.fixture
def managed_rows(world):
    """One row of each managers-only resource in `world.call` (and one event of no call)."""
    return {
        AuditEvent: [event(call=world.call)],
        COIDetectionJob: [COIDetectionJob.objects.create(call=world.call, job_type="full_call", created_by=world.manager)],
        ProposedAssignment: [ProposedAssignment.objects.create(
            call=world.call, reviewer=world.profile, proposal=world.proposal, affinity_score=0.5,
            algorithm_used="minmax", rank=1)],
        CallAssignmentConfiguration: [world.call.assignment_config],
    }


@pytest.mark.parametrize("model", [AuditEvent, COIDetectionJob, ProposedAssignment, CallAssignmentConfiguration],
                         ids=lambda model: model.__name__)
def test_rows_of_a_call_are_its_managers(world, managed_rows, model):
    assert seen_by(world, model.objects, managed_rows[model]) == MANAGERS


def test_an_event_of_no_call_is_staff_and_support_only(world):
    assert seen_by(world, AuditEvent.objects, [event(call=None)]) == {"staff", "support"}


def test_rounds_are_seen_with_their_call(world):
    other_round = f.round_(world.other_call)
    # The reviewer is in the call's pool and the applicant proposes to it: both see the call.
    assert seen_by(world, Round.objects, [world.round]) == MANAGERS | {"reviewer", "applicant"}
    assert seen_by(world, Round.objects, [other_round]) == {"other_manager", "staff", "support"}


def test_profile_rows_are_seen_with_their_profile(world):
    rows = [
        ReviewerAffiliation.objects.create(profile=world.profile, organization_name="Institute"),
        ReviewerExpertise.objects.create(profile=world.profile, expertise_keyword="optics"),
        ReviewerPublication.objects.create(profile=world.profile, title="On light", publication_year=2020),
    ]
    for row in rows:
        # An unpublished profile: its owner, the managers of a call it is a member of, staff, support.
        assert seen_by(world, type(row).objects, [row]) == MANAGERS | {"reviewer"}
