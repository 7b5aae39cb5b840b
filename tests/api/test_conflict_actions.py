"""`dismiss/`, `waive/`, `recuse/` on `/api/conflicts-of-interest/{uuid}/` (§3.7): roles, bodies,
guards and their exact messages; the effects on items are covered in tests/domain/test_conflict_effects.py."""

import pytest
from waldur_api_client.models import ConflictOfInterest as ClientCOI

from referee.conflicts.models import ConflictOfInterest
from referee.core.models import AuditEvent
from referee.notifications.models import OutboxMessage
from referee.reviews.models import Review
from tests import factories as f
from tests.helpers import client_for, role_matrix, role_user

LIST = "/api/conflicts-of-interest/"
WRITE_STATUS = {"anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 403, "support": 403,
                "manager": 200, "staff": 200}
BODIES = {
    "dismiss": {"status": "dismissed", "review_notes": "Not a conflict"},
    "waive": {"status": "waived", "management_plan": "A second reviewer checks", "review_notes": "Minor"},
    "recuse": {"status": "recused", "review_notes": "Named in the team"},
}


def url(conflict, action):
    return f"{LIST}{conflict.uuid.hex}/{action}/"


def post(user, conflict, action, body=None):
    return client_for(user).post(url(conflict, action), body if body is not None else BODIES[action], format="json")


@pytest.mark.django_db
class TestRoles:
    @role_matrix(WRITE_STATUS)
    @pytest.mark.parametrize("action", ["dismiss", "waive", "recuse"])
    def test_who_may_act(self, world, role, expected, action):
        conflict = f.conflict(world.profile, world.proposal, rule="management_allowed")
        response = post(role_user(world, role), conflict, action)
        assert response.status_code == expected, response.content
        conflict.refresh_from_db()
        assert (conflict.status != "pending") is (expected == 200)

    @pytest.mark.parametrize("action", ["dismiss", "waive", "recuse"])
    def test_unknown_and_get_are_404_and_405(self, world, action):
        client = client_for(world.staff)
        assert client.post(f"{LIST}{'2' * 32}/{action}/", BODIES[action], format="json").status_code == 404
        assert client.get(url(f.conflict(world.profile, world.proposal, rule="management_allowed"),
                              action)).status_code == 405


@pytest.mark.django_db
class TestDismiss:
    def test_sets_status_reviewer_notes_and_plan(self, world):
        conflict = f.conflict(world.profile, world.proposal, rule="management_allowed")
        response = post(world.manager, conflict, "dismiss", {"review_notes": "No link", "management_plan": "None"})
        assert response.status_code == 200
        body = response.json()
        ClientCOI.from_dict(body)
        assert (body["status"], body["status_display"], body["review_notes"], body["management_plan"]) == (
            "dismissed", "Dismissed", "No link", "None")
        assert body["reviewed_by_name"] == world.manager.full_name and body["reviewed_at"].endswith("Z")
        assert body["is_blocking"] is False
        event = AuditEvent.objects.get(event_type="COI_DISMISSED")
        assert (event.from_state, event.to_state, event.actor, event.call, event.object_uuid) == (
            "pending", "dismissed", world.manager, world.call, conflict.uuid)

    def test_empty_body_keeps_the_texts(self, world):
        conflict = f.conflict(world.profile, world.proposal, rule="management_allowed")
        ConflictOfInterest.objects.filter(pk=conflict.pk).update(review_notes="Earlier")
        assert post(world.staff, conflict, "dismiss", {}).json()["review_notes"] == "Earlier"

    def test_recusal_required_conflicts_may_be_dismissed(self, world):
        conflict = f.conflict(world.profile, world.proposal)
        assert post(world.manager, conflict, "dismiss").status_code == 200

    @pytest.mark.parametrize("status", ["waived", "recused", "pending", "bogus"])
    def test_status_must_be_dismissed(self, world, status):
        conflict = f.conflict(world.profile, world.proposal, rule="management_allowed")
        response = post(world.manager, conflict, "dismiss", {"status": status})
        assert response.status_code == 400 and list(response.json()) == ["status"]
        conflict.refresh_from_db()
        assert conflict.status == "pending"

    @pytest.mark.parametrize("status", ["dismissed", "waived", "recused"])
    def test_only_pending(self, world, status):
        response = post(world.manager, f.conflict(world.profile, world.proposal, rule="management_allowed",
                                                  status=status), "dismiss")
        assert response.status_code == 400
        assert response.json() == {"detail": "Only pending conflicts can be dismissed."}


@pytest.mark.django_db
class TestWaive:
    def test_sets_status_and_plan(self, world):
        response = post(world.manager, f.conflict(world.profile, world.proposal, rule="management_allowed"), "waive")
        assert response.status_code == 200
        body = response.json()
        ClientCOI.from_dict(body)
        assert (body["status"], body["management_plan"], body["review_notes"]) == (
            "waived", "A second reviewer checks", "Minor")
        event = AuditEvent.objects.get(event_type="COI_WAIVED")
        assert (event.from_state, event.to_state) == ("pending", "waived")

    @pytest.mark.parametrize("body", [{}, {"management_plan": ""}, {"management_plan": "   "}, {"status": "waived"}])
    def test_plan_is_required(self, world, body):
        conflict = f.conflict(world.profile, world.proposal, rule="management_allowed")
        response = post(world.manager, conflict, "waive", body)
        assert response.status_code == 400
        assert response.json() == {"management_plan": ["Management plan is required when waiving a conflict."]}

    def test_plan_is_checked_before_the_state(self, world):
        response = post(world.manager, f.conflict(world.profile, world.proposal, rule="management_allowed",
                                                  status="recused"), "waive", {})
        assert response.json() == {"management_plan": ["Management plan is required when waiving a conflict."]}

    @pytest.mark.parametrize("status", ["dismissed", "waived", "recused"])
    def test_only_pending(self, world, status):
        response = post(world.manager, f.conflict(world.profile, world.proposal, rule="management_allowed",
                                                  status=status), "waive")
        assert response.status_code == 400 and response.json() == {"detail": "Only pending conflicts can be waived."}

    def test_recusal_required_cannot_be_waived(self, world):
        conflict = f.conflict(world.profile, world.proposal, coi_type="COAUTH_RECENT")
        response = post(world.manager, conflict, "waive")
        assert response.status_code == 400
        assert response.json() == {"detail": "Conflicts of type COAUTH_RECENT require recusal and cannot be waived."}
        conflict.refresh_from_db()
        assert (conflict.status, conflict.management_plan, conflict.reviewed_by) == ("pending", "", None)

    def test_status_must_be_waived(self, world):
        response = post(world.manager, f.conflict(world.profile, world.proposal, rule="management_allowed"), "waive",
                        {"status": "dismissed", "management_plan": "x"})
        assert response.status_code == 400 and list(response.json()) == ["status"]


@pytest.mark.django_db
class TestRecuse:
    @pytest.mark.parametrize("status", ["pending", "dismissed", "waived"])
    def test_from_every_other_status(self, world, status):
        response = post(world.manager, f.conflict(world.profile, world.proposal, rule="disclosure_only", status=status,
                                                  coi_type="INST_FORMER", severity="apparent"), "recuse")
        assert response.status_code == 200
        body = response.json()
        ClientCOI.from_dict(body)
        assert (body["status"], body["review_notes"], body["is_blocking"]) == ("recused", "Named in the team", True)
        event = AuditEvent.objects.get(event_type="COI_RECUSED")
        assert (event.from_state, event.to_state) == (status, "recused")

    def test_recused_is_terminal(self, world):
        conflict = f.conflict(world.profile, world.proposal, rule="management_allowed", status="recused")
        response = post(world.manager, conflict, "recuse")
        assert response.status_code == 400 and response.json() == {"detail": "Conflict is already recused."}
        for action in ("dismiss", "waive"):
            assert post(world.manager, conflict, action).status_code == 400

    def test_status_must_be_recused(self, world):
        response = post(world.manager, f.conflict(world.profile, world.proposal, rule="management_allowed"), "recuse",
                        {"status": "waived"})
        assert response.status_code == 400 and list(response.json()) == ["status"]

    def test_blocks_accepted_item_and_rejects_the_review(self, world):
        batch = f.batch(world.entry, status="sent")
        review = Review.objects.create(proposal=world.proposal, reviewer=world.reviewer)
        item = f.item(batch, world.proposal, status="accepted", review=review)
        conflict = f.conflict(world.profile, world.proposal, rule="management_allowed", status="waived")
        assert post(world.manager, conflict, "recuse").status_code == 200
        item.refresh_from_db()
        review.refresh_from_db()
        batch.refresh_from_db()
        assert (item.status, item.has_coi, list(item.coi_records.all())) == ("coi_blocked", True, [conflict])
        assert review.state == "rejected" and batch.status == "responded"


@pytest.mark.django_db
class TestBodies:
    @pytest.mark.parametrize("action,field,limit", [
        ("dismiss", "review_notes", 5000), ("dismiss", "management_plan", 10000),
        ("waive", "review_notes", 5000), ("waive", "management_plan", 10000), ("recuse", "review_notes", 5000),
    ])
    def test_bounds_name_the_field(self, world, action, field, limit):
        conflict = f.conflict(world.profile, world.proposal, rule="management_allowed")
        response = post(world.manager, conflict, action, {**BODIES[action], field: "x" * (limit + 1)})
        assert response.status_code == 400 and list(response.json()) == [field]
        assert post(world.manager, conflict, action, {**BODIES[action], field: "x" * limit}).status_code == 200

    @pytest.mark.parametrize("action", ["dismiss", "waive", "recuse"])
    def test_malformed_bodies_are_400(self, world, action):
        client = client_for(world.manager)
        conflict = f.conflict(world.profile, world.proposal, rule="management_allowed")
        assert client.post(url(conflict, action), [1, 2], format="json").status_code == 400
        response = client.generic("POST", url(conflict, action), "{oops", content_type="application/json")
        assert response.status_code == 400 and "detail" in response.json()
        assert client.post(url(conflict, action), {"review_notes": ["a"]}, format="json").status_code == 400
        conflict.refresh_from_db()
        assert conflict.status == "pending"

    def test_unblocking_mail_goes_out_for_a_sent_batch(self, world):
        batch = f.batch(world.entry, status="sent")
        item = f.item(batch, world.proposal, status="coi_blocked")
        assert post(world.manager, f.conflict(world.profile, world.proposal, rule="management_allowed"),
                    "dismiss").status_code == 200
        item.refresh_from_db()
        assert item.status == "pending" and not item.has_coi
        assert OutboxMessage.objects.filter(template="assignment_item_unblocked").count() == 1
