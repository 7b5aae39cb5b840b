"""`/api/call-reviewer-pools/` (§3.6, §4.3) and the call action `reviewer-pool/` (§3.5)."""

from datetime import timedelta

import pytest
from django.conf import settings
from waldur_api_client.models import CallReviewerPool as ClientEntry
from waldur_api_client.models import (
    CallReviewerPoolUpdate,
    InvitationAcceptError,
    InvitationAcceptResponse,
    InvitationDeclineResponse,
)

from referee.conflicts.models import ConflictOfInterest
from referee.core.models import AuditEvent
from referee.reviews.models import Review
from tests import factories as f
from tests.helpers import NOW, as_role, assert_constant_queries, client_for, role_matrix, role_user

LIST = "/api/call-reviewer-pools/"
# Who sees the world's entry, who may act as its manager, who as its reviewer (self-only).
SEES = {"anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 200, "manager": 200,
        "support": 200, "staff": 200}
MANAGES = {**SEES, "reviewer": 403, "support": 403}
OWNS = {**SEES, "manager": 403, "support": 403, "staff": 403}


def url(entry, action=""):
    return f"{LIST}{entry.uuid.hex}/" + (f"{action}/" if action else "")


def pool_url(call):
    return f"/api/proposal-protected-calls/{call.uuid.hex}/reviewer-pool/"


def pending(world, **fields):
    fields.setdefault("invitation_expires_at", NOW + timedelta(days=7))
    fields.setdefault("invitation_status", "pending")
    type(world.entry).objects.filter(pk=world.entry.pk).update(**fields)
    world.entry.refresh_from_db()
    return world.entry


@pytest.mark.django_db
class TestRead:
    @role_matrix(SEES)
    def test_detail_and_list_by_role(self, world, role, expected):
        client = as_role(world, role)
        response = client.get(url(world.entry))
        assert response.status_code == expected
        listed = client.get(LIST)
        if expected == 200:
            assert ClientEntry.from_dict(response.json()).uuid == world.entry.uuid
            assert [row["uuid"] for row in listed.json()] == [world.entry.uuid.hex]
        elif role != "anonymous":
            assert listed.json() == []

    def test_counts_and_links(self, world, clock):
        entry = pending(world)
        f.item(f.batch(entry, status="sent"), world.proposal)
        Review.objects.create(proposal=world.proposal2, reviewer=world.reviewer, state="in_review")
        Review.objects.create(proposal=f.proposal(world.round), reviewer=world.reviewer, state="submitted")
        for severity, status in [("real", "pending"), ("apparent", "waived"), ("potential", "dismissed")]:
            ConflictOfInterest.objects.create(reviewer=world.profile, proposal=world.proposal, call=world.call,
                                              coi_type="COMPET", severity=severity, status=status,
                                              conflicting_user=f.user())
        body = client_for(world.manager).get(url(entry)).json()
        parsed = ClientEntry.from_dict(body)
        assert parsed.current_assignments == 2 and parsed.coi_count == 2
        assert body["coi_by_severity"] == {"real": 1, "apparent": 1, "potential": 0}
        assert (parsed.reviews_pending, parsed.reviews_in_progress, parsed.reviews_completed) == (0, 1, 1)
        assert parsed.invitation_link == f"{settings.SITE_URL}/reviewer-invitation/{entry.invitation_token}/"
        assert body["call"] == f"http://testserver/api/proposal-protected-calls/{world.call.uuid.hex}/"
        assert body["reviewer_uuid"] == world.profile.uuid.hex and body["invitation_status_display"] == "Pending"
        assert "invitation_token" not in body and body["invited_at"].endswith("Z")
        accepted = client_for(world.manager).get(url(f.pool_entry(world.other_call, world.profile))).status_code
        assert accepted == 404  # the manager of `call` does not see `other_call`'s pool
        assert client_for(world.staff).get(url(world.entry)).json()["invitation_link"] is not None

    def test_accepted_entry_has_no_link(self, world):
        assert client_for(world.reviewer).get(url(world.entry)).json()["invitation_link"] is None

    def test_filters_and_ordering(self, world):
        other = f.pool_entry(world.call, f.profile(f.user()), status="declined")
        elsewhere = f.pool_entry(world.other_call, world.profile, status="pending")
        f.item(f.batch(world.entry), world.proposal)
        client = client_for(world.staff)

        def uuids(**params):
            response = client.get(LIST, params)
            assert response.status_code == 200, response.content
            return [row["uuid"] for row in response.json()]

        assert set(uuids(call_uuid=world.call.uuid.hex)) == {world.entry.uuid.hex, other.uuid.hex}
        assert len(uuids(reviewer_uuid=str(world.profile.uuid))) == 2
        assert uuids(invitation_status=["declined", "accepted"], call_uuid=world.call.uuid.hex, o="invited_at") == [
            world.entry.uuid.hex, other.uuid.hex]
        assert uuids(call_uuid=world.call.uuid.hex, o="-current_assignments")[0] == world.entry.uuid.hex
        assert uuids(my_invitations="true") == []
        assert len(client_for(world.reviewer).get(LIST, {"my_invitations": "1"}).json()) == 2
        assert uuids() == [elsewhere.uuid.hex, other.uuid.hex, world.entry.uuid.hex]  # default: -invited_at
        for params in ({"invitation_status": "maybe"}, {"call_uuid": "x"}, {"my_invitations": "x"}, {"o": "name"}):
            response = client.get(LIST, params)
            assert response.status_code == 400 and set(response.json()) == set(params)

    def test_list_query_count_is_constant(self, world):
        def add_rows():
            for _ in range(5):
                entry = f.pool_entry(world.call, f.profile(f.user()))
                f.item(f.batch(entry, status="sent"), world.proposal)
                ConflictOfInterest.objects.create(reviewer=entry.reviewer, proposal=world.proposal, call=world.call,
                                                  coi_type="COMPET", severity="real")
                Review.objects.create(proposal=world.proposal2, reviewer=entry.reviewer.user, state="in_review")

        assert_constant_queries(client_for(world.manager), LIST, add_rows, {"o": "current_assignments"})

    def test_unrouted_methods_are_405(self, world):
        client = client_for(world.staff)
        assert client.post(LIST, {}, format="json").status_code == 405
        assert client.put(url(world.entry), {"max_assignments": 2}, format="json").status_code == 405
        assert client.delete(url(world.entry)).status_code == 405
        assert client.get(url(world.entry, "accept")).status_code == 405


@pytest.mark.django_db
class TestMaxAssignments:
    @role_matrix(MANAGES)
    def test_patch_by_role(self, world, role, expected):
        response = as_role(world, role).patch(url(world.entry), {"max_assignments": 3}, format="json")
        assert response.status_code == expected
        if response.status_code == 200:
            assert CallReviewerPoolUpdate.from_dict(response.json()).max_assignments == 3
            assert AuditEvent.objects.filter(event_type="POOL_MAX_ASSIGNMENTS_CHANGED").exists()

    @pytest.mark.parametrize("value", [0, 51, "x", None])
    def test_range(self, world, value):
        response = client_for(world.manager).patch(url(world.entry), {"max_assignments": value}, format="json")
        assert response.status_code == 400 and "max_assignments" in response.json()


def accept(world, body, user=None):
    return client_for(user or world.reviewer).post(url(world.entry, "accept"), body, format="json")


def assert_refusal(response, code, message=None):
    assert response.status_code == 400, response.content
    parsed = InvitationAcceptError.from_dict(response.json())
    assert parsed.error == code and response.json()["detail"] == parsed.message
    if message:
        assert parsed.message == message


@pytest.mark.django_db
class TestAccept:
    @role_matrix(OWNS)
    def test_self_only(self, world, role, expected, clock):
        pending(world)
        response = as_role(world, role).post(url(world.entry, "accept"), [], format="json")
        assert response.status_code == expected
        if response.status_code == 200:
            assert InvitationAcceptResponse.from_dict(response.json()).detail == "Invitation accepted successfully."
            world.entry.refresh_from_db()
            assert world.entry.invitation_status == "accepted" and world.entry.response_date == NOW

    def test_declared_conflicts(self, world, clock):
        pending(world)
        world.call.coi_config.recusal_required_types = ["COMPET"]
        world.call.coi_config.save()
        existing = ConflictOfInterest.objects.create(reviewer=world.profile, proposal=world.proposal2,
                                                     call=world.call, coi_type="REL_FAMILY", severity="real")
        body = [
            {"proposal_uuid": world.proposal.uuid.hex, "coi_type": "COMPET", "description": "Rival lab"},
            {"proposal_uuid": str(world.proposal.uuid), "coi_type": "COMPET"},  # same declaration twice
            {"proposal_uuid": world.proposal.uuid.hex, "coi_type": "COLLAB_ACTIVE"},
            {"proposal_uuid": world.proposal2.uuid.hex, "coi_type": "REL_FAMILY", "severity": "potential"},
        ]
        response = accept(world, body)
        assert response.status_code == 200, response.content
        declared = [u.hex for u in InvitationAcceptResponse.from_dict(response.json()).declared_conflicts]
        assert len(declared) == 3 and declared[2] == existing.uuid.hex
        compet, collab = (ConflictOfInterest.objects.get(uuid=u) for u in declared[:2])
        assert (compet.status, compet.detection_method, compet.severity) == ("pending", "self_disclosed", "apparent")
        assert compet.rule == "recusal_required" and compet.evidence_description == "Rival lab"
        assert collab.rule == "management_allowed" and collab.call_id == world.call.pk
        existing.refresh_from_db()
        assert existing.severity == "real" and existing.detection_method == "automated"
        events = set(AuditEvent.objects.values_list("event_type", flat=True))
        assert {"POOL_INVITATION_ACCEPTED", "COI_SELF_DECLARED"} <= events

    def test_state_guards(self, world, clock):
        assert_refusal(accept(world, []), "already_responded", "This invitation has already been responded to.")
        pending(world, invitation_expires_at=NOW)
        assert_refusal(accept(world, []), "invitation_expired", "This invitation has expired.")
        type(world.entry).objects.filter(pk=world.entry.pk).update(invitation_status="expired")
        assert_refusal(accept(world, []), "invitation_expired")
        type(world.entry).objects.filter(pk=world.entry.pk).update(invitation_status="declined")
        assert_refusal(accept(world, []), "already_responded")

    def test_invalid_conflicts_and_bodies(self, world, clock):
        pending(world)
        foreign = f.proposal(f.round_(world.other_call))
        declared = [{"proposal_uuid": foreign.uuid.hex, "coi_type": "COMPET"}]
        assert_refusal(accept(world, declared), "invalid_conflict", "Proposal not found in this call.")
        assert_refusal(accept(world, [{"proposal_uuid": world.proposal.uuid.hex, "coi_type": "NOPE"}]),
                       "invalid_request")
        assert_refusal(accept(world, [{"coi_type": "COMPET"}]), "invalid_request")
        assert_refusal(accept(world, [{"proposal_uuid": world.proposal.uuid.hex, "coi_type": "COMPET",
                                       "severity": "grave"}]), "invalid_request")
        assert_refusal(accept(world, {"proposal_uuid": world.proposal.uuid.hex}), "invalid_request")
        assert_refusal(accept(world, declared[:1] * 101), "invalid_request")
        response = client_for(world.reviewer).generic("POST", url(world.entry, "accept"), "[{",
                                                      content_type="application/json")
        assert_refusal(response, "invalid_request")
        world.entry.refresh_from_db()
        assert world.entry.invitation_status == "pending" and not ConflictOfInterest.objects.exists()


@pytest.mark.django_db
class TestDecline:
    @role_matrix(OWNS)
    def test_self_only(self, world, role, expected, clock):
        pending(world)
        response = as_role(world, role).post(url(world.entry, "decline"), {"reason": "Busy"}, format="json")
        assert response.status_code == expected
        if response.status_code == 200:
            assert InvitationDeclineResponse.from_dict(response.json()).detail == "Invitation declined."
            world.entry.refresh_from_db()
            assert (world.entry.invitation_status, world.entry.decline_reason) == ("declined", "Busy")
            assert AuditEvent.objects.filter(event_type="POOL_INVITATION_DECLINED").exists()

    def test_validation_and_guards(self, world, clock):
        client = client_for(world.reviewer)
        pending(world)
        for body in ({}, {"reason": "  "}, {"reason": "x" * 2001}, []):
            response = client.post(url(world.entry, "decline"), body, format="json")
            assert response.status_code == 400 and set(response.json()) <= {"reason", "non_field_errors"}
        pending(world, invitation_expires_at=NOW - timedelta(seconds=1))
        response = client.post(url(world.entry, "decline"), {"reason": "Busy"}, format="json")
        assert response.json() == {"detail": "This invitation has expired."}
        type(world.entry).objects.filter(pk=world.entry.pk).update(invitation_status="accepted")
        response = client.post(url(world.entry, "decline"), {"reason": "Busy"}, format="json")
        assert response.json() == {"detail": "This invitation has already been responded to."}


@pytest.mark.django_db
class TestManagerActions:
    @role_matrix(MANAGES)
    def test_force_accept_by_role(self, world, role, expected, clock):
        pending(world, invitation_status="declined")
        response = as_role(world, role).post(url(world.entry, "force-accept"), {"override_reason": "Needed"},
                                             format="json")
        assert response.status_code == expected
        if response.status_code == 200:
            parsed = ClientEntry.from_dict(response.json())
            assert parsed.invitation_status == "accepted" and parsed.override_reason == "Needed"
            assert parsed.overridden_by_name == role_user(world, role).full_name and parsed.overridden_at == NOW
            event = AuditEvent.objects.get(event_type="POOL_INVITATION_FORCE_ACCEPTED")
            assert (event.from_state, event.to_state, event.call_id) == ("declined", "accepted", world.call.pk)

    def test_force_accept_guards(self, world):
        client = client_for(world.manager)
        response = client.post(url(world.entry, "force-accept"), {"override_reason": "x"}, format="json")
        assert response.json() == {"detail": "This invitation is already accepted."}
        pending(world)
        for body in ({}, {"override_reason": ""}, {"override_reason": "x" * 2001}):
            response = client.post(url(world.entry, "force-accept"), body, format="json")
            assert response.status_code == 400 and "override_reason" in response.json()

    @role_matrix(MANAGES)
    def test_resend_by_role(self, world, role, expected, clock):
        world.call.assignment_config.assignment_expiration_days = 3
        world.call.assignment_config.save()
        entry = pending(world, invitation_status="expired", invitation_expires_at=NOW - timedelta(days=1))
        response = as_role(world, role).post(url(entry, "resend-invitation"), format="json")
        assert response.status_code == expected
        if response.status_code == 200:
            parsed = ClientEntry.from_dict(response.json())
            assert parsed.invitation_status == "pending" and parsed.invitation_expires_at == NOW + timedelta(days=3)
            assert entry.invitation_token not in parsed.invitation_link

    def test_resend_guard(self, world):
        response = client_for(world.manager).post(url(world.entry, "resend-invitation"), format="json")
        assert response.json() == {"detail": "Only pending or expired invitations can be resent."}


@pytest.mark.django_db
class TestCallReviewerPool:
    @role_matrix({**MANAGES, "support": 200, "applicant": 403})
    def test_list_by_role(self, world, role, expected):
        response = as_role(world, role).get(pool_url(world.call))
        assert response.status_code == expected
        if expected == 200:
            assert [ClientEntry.from_dict(row).uuid for row in response.json()] == [world.entry.uuid]

    def test_list_filters_ordering_and_head(self, world):
        declined = f.pool_entry(world.call, f.profile(f.user()), status="declined")
        f.pool_entry(world.other_call, f.profile(f.user()))
        client = client_for(world.manager)
        response = client.get(pool_url(world.call), {"invitation_status": "declined"})
        assert [row["uuid"] for row in response.json()] == [declined.uuid.hex]
        response = client.get(pool_url(world.call), {"o": "invited_at"})
        assert [row["uuid"] for row in response.json()] == [world.entry.uuid.hex, declined.uuid.hex]
        assert "invitation_status" in client.get(pool_url(world.call), {"invitation_status": "x"}).json()
        assert "o" in client.get(pool_url(world.call), {"o": "name"}).json()
        head = client.head(pool_url(world.call))
        assert head.status_code == 200 and head["X-Result-Count"] == "2" and head.content == b""

    def test_list_query_count_is_constant(self, world):
        def add_rows():
            for _ in range(5):
                entry = f.pool_entry(world.call, f.profile(f.user()))
                f.item(f.batch(entry, status="sent"), world.proposal)
                ConflictOfInterest.objects.create(reviewer=entry.reviewer, proposal=world.proposal, call=world.call,
                                                  coi_type="COMPET", severity="apparent")

        assert_constant_queries(client_for(world.manager), pool_url(world.call), add_rows, {"o": "-current_assignments"})

    @role_matrix(MANAGES)
    def test_invite_by_role(self, world, role, expected, clock):
        newcomer = f.profile(f.user("newcomer"))
        response = as_role(world, role).post(pool_url(world.call), {"reviewer_uuids": [newcomer.uuid.hex]},
                                             format="json")
        assert response.status_code == expected
        if response.status_code == 200:
            (entry,) = [ClientEntry.from_dict(row) for row in response.json()]
            assert (entry.invitation_status, entry.invited_at, entry.max_assignments) == ("pending", NOW, 5)
            assert entry.invitation_expires_at == NOW + timedelta(days=7)
            assert entry.invited_email == "newcomer@example.org"
            assert entry.invited_by_name == role_user(world, role).full_name

    def test_invite_skips_unknown_and_members(self, world, clock):
        a, b = f.profile(f.user()), f.profile(f.user())
        body = {"reviewer_uuids": [str(a.uuid), "0" * 32, world.profile.uuid.hex, b.uuid.hex, a.uuid.hex],
                "max_assignments": 9, "invitation_message": "Please join"}
        response = client_for(world.manager).post(pool_url(world.call), body, format="json")
        assert response.status_code == 200
        rows = response.json()
        assert [row["reviewer_uuid"] for row in rows] == [a.uuid.hex, b.uuid.hex]
        assert {row["max_assignments"] for row in rows} == {9}
        assert AuditEvent.objects.filter(event_type="POOL_INVITATION_SENT").count() == 2
        again = client_for(world.manager).post(pool_url(world.call), body, format="json")
        assert again.status_code == 200 and again.json() == []

    @pytest.mark.parametrize("body, field", [
        ({}, "reviewer_uuids"), ({"reviewer_uuids": []}, "reviewer_uuids"), ({"reviewer_uuids": ["x"]}, "reviewer_uuids"),
        ({"reviewer_uuids": ["0" * 32] * 1001}, "reviewer_uuids"), ({"reviewer_uuids": "0" * 32}, "reviewer_uuids"),
        ({"reviewer_uuids": ["0" * 32], "max_assignments": 0}, "max_assignments"),
        ({"reviewer_uuids": ["0" * 32], "max_assignments": 51}, "max_assignments"),
        ({"reviewer_uuids": ["0" * 32], "invitation_message": "x" * 5001}, "invitation_message"),
    ])
    def test_invite_validation(self, world, body, field):
        response = client_for(world.manager).post(pool_url(world.call), body, format="json")
        assert response.status_code == 400 and field in response.json()


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
class TestRaces:
    """Row locks serialise the pool actions (§7): racing requests end in one state, never a 500."""

    @pytest.fixture(autouse=True)
    def _postgresql_only(self):
        from django.db import connection

        if connection.vendor != "postgresql":
            pytest.skip("row-lock races need PostgreSQL (SQLite serialises every writer)")

    def test_accept_racing_decline(self, world):
        from tests.concurrency.test_batch_concurrency import post, race

        for _ in range(3):
            entry = pending(world, invitation_expires_at=None)
            responses = race(post(world.reviewer, url(entry, "accept"), []),
                             post(world.reviewer, url(entry, "decline"), {"reason": "Busy"}))
            assert sorted(r.status_code for r in responses) == [200, 400]
            entry.refresh_from_db()
            assert entry.invitation_status in ("accepted", "declined")
            assert AuditEvent.objects.filter(object_uuid=entry.uuid, to_state=entry.invitation_status).count() >= 1

    def test_concurrent_invitations_of_one_profile(self, world):
        from tests.concurrency.test_batch_concurrency import post, race

        newcomer = f.profile(f.user())
        body = {"reviewer_uuids": [newcomer.uuid.hex]}
        responses = race(post(world.manager, pool_url(world.call), body), post(world.staff, pool_url(world.call), body))
        assert [r.status_code for r in responses] == [200, 200]
        assert sorted(len(r.json()) for r in responses) == [0, 1]
