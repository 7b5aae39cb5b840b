"""`reviewers.domain.invite_by_email` (issue 13): the profile of the address, invited as the API
invites (pending entry, event, mail); refusals on the `email` field."""

import pytest

from referee.core.enums import AuditEventType
from referee.core.errors import FieldError
from referee.reviewers import domain
from tests import factories as f
from tests.helpers import events, outbox

pytestmark = pytest.mark.django_db


def test_the_address_names_the_profile_whatever_its_case(world):
    profile = f.profile(f.user("grace"))
    entry = domain.invite_by_email(world.call, actor=world.manager, email=" Grace@EXAMPLE.org ", max_assignments=3)
    assert (entry.reviewer, entry.invitation_status, entry.max_assignments) == (profile, "pending", 3)
    assert [e.object_uuid for e in events(AuditEventType.POOL_INVITATION_SENT)] == [entry.uuid]
    assert [m.to for m in outbox("reviewer_invitation")] == [["grace@example.org"]]


def test_an_address_without_a_profile_is_refused(world):
    f.user("noprofile")
    with pytest.raises(FieldError) as refused:
        domain.invite_by_email(world.call, actor=world.manager, email="noprofile@example.org")
    assert refused.value.field == "email" and refused.value.message == domain.NO_PROFILE_WITH_EMAIL


def test_a_member_is_refused_and_nothing_is_sent(world):
    with pytest.raises(FieldError) as refused:
        domain.invite_by_email(world.call, actor=world.manager, email="reviewer@example.org")
    assert refused.value.message == "This reviewer is already in the call's pool."
    assert not events(AuditEventType.POOL_INVITATION_SENT) and not outbox()
