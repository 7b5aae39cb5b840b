"""`/api/assignment-items/` (§3.3): representation, visibility, filters, ordering, and the
manager's corrections: PUT/PATCH, DELETE, force-unblock. The reviewer's answers, reassign and
suggest_alternatives are in test_item_actions.py."""

from datetime import timedelta

import pytest
from django.utils import timezone
from waldur_api_client.models import AssignmentItem as ClientItem

from referee.assignments.models import AssignmentBatch, AssignmentItem
from referee.conflicts.models import ConflictOfInterest
from referee.core.models import AuditEvent
from referee.notifications.models import OutboxMessage
from referee.reviews.models import Review
from tests import factories as f
from tests.helpers import ROLES, as_role, assert_constant_queries, assert_visible, client_for, role_matrix, role_user

LIST = "/api/assignment-items/"
NIL = "0" * 32
WRITE_REFUSED = {"anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 403, "support": 403}


def url(item, action=None):
    return f"{LIST}{item.uuid.hex}/" + (f"{action}/" if action else "")


def unblock(user, item, body):
    return client_for(user).post(url(item, "force-unblock"), body, format="json")


@pytest.fixture
def sent(world):
    return f.batch(world.entry, status="sent", created_by=world.manager)


@pytest.fixture
def item(world, sent):
    return f.item(sent, world.proposal, affinity_score=0.5)


@pytest.mark.django_db
class TestRepresentation:
    def test_detail_parses_with_the_client(self, world, sent, item):
        body = client_for(world.manager).get(url(item)).json()
        parsed = ClientItem.from_dict(body)
        assert parsed.uuid.hex == item.uuid.hex and parsed.status.value == "pending"
        assert body["url"] == f"http://testserver{url(item)}"
        assert body["batch"] == f"http://testserver/api/assignment-batches/{sent.uuid.hex}/"
        assert body["proposal"] == f"http://testserver/api/proposal-proposals/{world.proposal.uuid.hex}/"
        assert (body["proposal_uuid"], body["proposal_name"], body["proposal_slug"]) == (
            world.proposal.uuid.hex, world.proposal.name, world.proposal.slug)
        assert (body["status_display"], body["affinity_score"], body["has_coi"], body["coi_count"]) == (
            "Awaiting response", 0.5, False, 0)
        assert (body["review"], body["review_uuid"], body["responded_at"], body["decline_reason"]) == (
            None, NIL, None, "")
        assert (body["reassign_count"], body["override_reason"], body["overridden_by_name"], body["overridden_at"]) == (
            0, "", "", None)
        assert body["created"].endswith("Z")

    def test_blocked_and_accepted_items(self, world, sent):
        review = Review.objects.create(proposal=world.proposal2, reviewer=world.reviewer)
        accepted = f.item(sent, world.proposal2, status="accepted", review=review, responded_at=timezone.now(),
                          affinity_score=0.123456)
        blocked = f.item(f.batch(world.entry), world.proposal, status="coi_blocked", overridden_by=world.staff)
        f.conflict(world.profile, world.proposal)
        f.conflict(world.profile, world.proposal, rule="disclosure_only", severity="real")  # never blocks: not counted
        client = client_for(world.manager)
        body = client.get(url(accepted)).json()
        ClientItem.from_dict(body)
        assert body["review_uuid"] == review.uuid.hex and body["affinity_score"] == 0.1235
        assert body["review"] == f"http://testserver/api/proposal-reviews/{review.uuid.hex}/"
        assert body["responded_at"].endswith("Z")
        body = client.get(url(blocked)).json()
        ClientItem.from_dict(body)
        assert (body["has_coi"], body["coi_count"], body["status_display"], body["affinity_score"]) == (
            True, 1, "Blocked due to COI", None)
        assert body["overridden_by_name"] == world.staff.full_name

    def test_list_rows_parse_and_query_count_is_constant(self, world, sent, item):
        client = client_for(world.manager)
        rows = client.get(LIST).json()
        assert [ClientItem.from_dict(row).uuid.hex for row in rows] == [item.uuid.hex]

        def add_items():
            for _ in range(4):
                entry = f.pool_entry(world.call, f.profile(f.user()))
                proposal = f.proposal(world.round)
                added = f.item(f.batch(entry, status="sent"), proposal, overridden_by=world.staff)
                added.review = Review.objects.create(proposal=proposal, reviewer=entry.reviewer.user)
                added.save()
                f.conflict(entry.reviewer, proposal)

        assert_constant_queries(client, LIST, add_items)


@pytest.mark.django_db
class TestVisibility:
    def items(self, w):
        found = {status: f.item(f.batch(w.entry, status=status), w.proposal, status="expired")
                 for status in ("responded", "expired", "cancelled")}
        found["sent"] = f.item(f.batch(w.entry, status="sent"), w.proposal2)
        found["draft"] = f.item(f.batch(w.entry), w.proposal)
        found["blocked"] = f.item(f.batch(w.entry, status="sent"), f.proposal(w.round), status="coi_blocked")
        other = f.pool_entry(w.other_call, f.profile(f.user()))
        found["foreign"] = f.item(f.batch(other, status="sent"), f.proposal(f.round_(w.other_call)))
        return found

    ALL = {"sent", "responded", "expired", "cancelled", "draft", "blocked", "foreign"}

    @role_matrix({"anonymous": set(), "stranger": set(), "reviewer": {"sent", "responded", "expired", "blocked"},
                  "other_manager": {"foreign"}, "manager": ALL - {"foreign"}, "support": ALL, "staff": ALL})
    def test_list_and_detail(self, world, role, expected):
        assert_visible(as_role(world, role), role, LIST, self.items(world), expected, url)

    def test_non_uuid_unknown_and_hyphenated(self, world, item):
        client = client_for(world.staff)
        assert client.get(f"{LIST}nope/").status_code == 404
        assert client.get(f"{LIST}{'1' * 32}/").status_code == 404
        assert client.get(f"{LIST}{str(item.uuid).upper()}/").status_code == 200

    @pytest.mark.parametrize("role", ROLES)
    def test_collection_post_is_405(self, world, role):
        response = client_for(role_user(world, role)).post(LIST, {"decline_reason": "x"}, format="json")
        assert response.status_code == (401 if role == "anonymous" else 405)

    def test_unrouted_method_on_action_is_405(self, world, item):
        client = client_for(world.reviewer)
        assert client.get(url(item, "accept")).status_code == 405
        assert client_for(world.manager).post(url(item, "suggest_alternatives")).status_code == 405


@pytest.mark.django_db
class TestFilteringAndOrdering:
    def test_filters(self, world, sent, item):
        other_entry = f.pool_entry(world.call, f.profile(f.user()))
        other = f.item(f.batch(other_entry, status="sent"), world.proposal2, status="coi_blocked", affinity_score=0.9)
        low = f.item(sent, world.proposal2, status="declined", affinity_score=0.1)
        foreign = f.item(f.batch(f.pool_entry(world.other_call, f.profile(f.user()))),
                         f.proposal(f.round_(world.other_call)))
        client = client_for(world.staff)

        def uuids(**params):
            response = client.get(LIST, params)
            assert response.status_code == 200, response.content
            return {row["uuid"] for row in response.json()}

        assert uuids(batch_uuid=sent.uuid.hex) == {item.uuid.hex, low.uuid.hex}
        assert uuids(call_uuid=str(world.call.uuid)) == {item.uuid.hex, low.uuid.hex, other.uuid.hex}
        assert uuids(call_uuid=world.other_call.uuid.hex) == {foreign.uuid.hex}
        assert uuids(proposal_uuid=world.proposal2.uuid.hex) == {other.uuid.hex, low.uuid.hex}
        assert uuids(reviewer_uuid=other_entry.reviewer.uuid.hex) == {other.uuid.hex}
        assert uuids(status=["declined", "coi_blocked"]) == {other.uuid.hex, low.uuid.hex}
        assert uuids(has_coi="true") == {other.uuid.hex}
        assert uuids(has_coi="false") == {item.uuid.hex, low.uuid.hex, foreign.uuid.hex}
        assert uuids(min_affinity_score="0.5") == {item.uuid.hex, other.uuid.hex}  # inclusive

    @pytest.mark.parametrize("param,value", [
        ("batch_uuid", "nope"), ("call_uuid", "1"), ("proposal_uuid", "x"), ("reviewer_uuid", "zz"),
        ("status", "bogus"), ("has_coi", "maybe"), ("min_affinity_score", "high"), ("min_affinity_score", "NaN"),
        ("o", "name"),
    ])
    def test_bad_values_are_400_naming_the_parameter(self, world, item, param, value):
        response = client_for(world.staff).get(LIST, {param: value})
        assert response.status_code == 400 and param in response.json()

    def test_unknown_parameters_are_ignored(self, world, item):
        assert len(client_for(world.staff).get(LIST, {"colour": "blue"}).json()) == 1

    def test_ordering(self, world, sent):
        now = timezone.now()
        a = f.item(sent, world.proposal, status="declined", affinity_score=0.2, responded_at=now - timedelta(hours=2))
        b = f.item(sent, world.proposal2, status="accepted", affinity_score=0.8, responded_at=now)
        c = f.item(sent, f.proposal(world.round))  # unscored, unanswered
        client = client_for(world.manager)

        def order(o=None):
            return [row["uuid"] for row in client.get(LIST, {"o": o} if o else {}).json()]

        assert order() == [c.uuid.hex, b.uuid.hex, a.uuid.hex]  # -created
        assert order("created") == [a.uuid.hex, b.uuid.hex, c.uuid.hex]
        assert order("-affinity_score") == [b.uuid.hex, a.uuid.hex, c.uuid.hex]  # nulls last
        assert order("affinity_score") == [a.uuid.hex, b.uuid.hex, c.uuid.hex]
        assert order("status") == [b.uuid.hex, a.uuid.hex, c.uuid.hex]
        assert order("responded_at") == [a.uuid.hex, b.uuid.hex, c.uuid.hex]
        assert order("-responded_at,created") == [b.uuid.hex, a.uuid.hex, c.uuid.hex]

    def test_pagination_and_head(self, world, sent):
        for _ in range(12):
            f.item(sent, f.proposal(world.round))
        client = client_for(world.manager)
        response = client.get(LIST, {"page": 2})
        assert len(response.json()) == 2 and response["X-Result-Count"] == "12" and 'rel="prev"' in response["Link"]
        head = client.head(LIST)
        assert head.status_code == 200 and head["X-Result-Count"] == "12" and head.content == b""
        assert client.get(LIST, {"page": 3}).status_code == 404


@pytest.mark.django_db
class TestUpdate:
    @pytest.mark.parametrize("method", ["put", "patch"])
    def test_decline_reason_only(self, world, sent, method):
        item = f.item(sent, world.proposal, status="declined", decline_reason="busy")
        body = {"decline_reason": "On leave", "status": "pending", "reassign_count": 9}
        response = getattr(client_for(world.manager), method)(url(item), body, format="json")
        assert response.status_code == 200, response.content
        parsed = ClientItem.from_dict(response.json())
        assert (parsed.decline_reason, parsed.status.value, parsed.reassign_count) == ("On leave", "declined", 0)
        assert AuditEvent.objects.filter(event_type="ASSIGNMENT_ITEM_DECLINE_REASON_UPDATED").count() == 1

    def test_empty_body_changes_nothing(self, world, item):
        response = client_for(world.manager).patch(url(item), {}, format="json")
        assert response.status_code == 200 and response.json()["decline_reason"] == ""

    @pytest.mark.parametrize("status", ["pending", "accepted", "expired", "coi_blocked", "reassigned"])
    def test_only_declined_items(self, world, sent, status):
        item = f.item(sent, world.proposal, status=status)
        response = client_for(world.manager).patch(url(item), {"decline_reason": "x"}, format="json")
        assert response.status_code == 400
        assert response.json() == {"detail": "Only declined items have a decline reason."}

    def test_validation(self, world, sent):
        item = f.item(sent, world.proposal, status="declined")
        client = client_for(world.manager)
        for bad in ("x" * 2001, ["list"], None, {"a": 1}):
            response = client.patch(url(item), {"decline_reason": bad}, format="json")
            assert response.status_code == 400 and list(response.json()) == ["decline_reason"], bad
        response = client.generic("PATCH", url(item), "{oops", content_type="application/json")
        assert response.status_code == 400 and "detail" in response.json()

    @role_matrix(WRITE_REFUSED)
    @pytest.mark.parametrize("method", ["put", "patch", "delete"])
    def test_roles_refused(self, world, sent, role, expected, method):
        item = f.item(sent, world.proposal, status="declined")
        response = getattr(as_role(world, role), method)(url(item), {"decline_reason": "x"}, format="json")
        assert response.status_code == expected, response.content
        item.refresh_from_db()
        assert item.decline_reason == ""

    def test_staff_acts(self, world, sent):
        item = f.item(sent, world.proposal, status="declined")
        client = client_for(world.staff)
        assert client.patch(url(item), {"decline_reason": "x"}, format="json").status_code == 200
        assert client.delete(url(item)).status_code == 204


@pytest.mark.django_db
class TestDelete:
    def test_deleting_the_last_pending_item_completes_the_batch(self, world, sent):
        pending = f.item(sent, world.proposal)
        f.item(sent, world.proposal2, status="declined")
        response = client_for(world.manager).delete(url(pending))
        assert response.status_code == 204
        assert not AssignmentItem.objects.filter(pk=pending.pk).exists()
        sent.refresh_from_db()
        assert sent.status == "responded" and sent.responded_at is not None
        event = AuditEvent.objects.get(event_type="ASSIGNMENT_ITEM_DELETED")
        assert (event.object_uuid, event.from_state) == (pending.uuid, "pending")

    def test_batch_with_pending_left_stays_sent(self, world, sent):
        f.item(sent, world.proposal)
        other = f.item(sent, world.proposal2)
        assert client_for(world.manager).delete(url(other)).status_code == 204
        assert AssignmentBatch.objects.get(pk=sent.pk).status == "sent"

    def test_accepted_cannot_be_deleted(self, world, sent):
        review = Review.objects.create(proposal=world.proposal, reviewer=world.reviewer)
        item = f.item(sent, world.proposal, status="accepted", review=review)
        response = client_for(world.manager).delete(url(item))
        assert (response.status_code, response.json()) == (400, {"detail": "Accepted assignments cannot be deleted."})
        assert AssignmentItem.objects.filter(pk=item.pk).exists()

    @pytest.mark.parametrize("status", ["declined", "expired", "coi_blocked", "reassigned"])
    def test_other_statuses_go(self, world, sent, status):
        item = f.item(sent, world.proposal, status=status)
        assert client_for(world.manager).delete(url(item)).status_code == 204


@pytest.mark.django_db
class TestForceUnblock:
    def test_waives_pending_blocking_cois_and_reopens(self, world):
        batch = f.batch(world.entry, status="responded")
        item = f.item(batch, world.proposal, status="coi_blocked")
        blocking = f.conflict(world.profile, world.proposal, rule="management_allowed", coi_type="ROLE_NAMED",
                              severity="real")
        disclosure = f.conflict(world.profile, world.proposal, rule="disclosure_only", severity="real")
        response = unblock(world.manager, item, {"override_reason": "Checked with the panel"})
        assert response.status_code == 200, response.content
        body = response.json()
        ClientItem.from_dict(body)
        assert (body["status"], body["has_coi"], body["coi_count"], body["override_reason"]) == (
            "pending", False, 0, "Checked with the panel")
        assert body["overridden_by_name"] == world.manager.full_name and body["overridden_at"].endswith("Z")
        blocking.refresh_from_db()
        assert (blocking.status, blocking.management_plan, blocking.reviewed_by) == (
            "waived", "Checked with the panel", world.manager)
        assert ConflictOfInterest.objects.get(pk=disclosure.pk).status == "pending"
        batch.refresh_from_db()
        assert (batch.status, batch.responded_at) == ("sent", None)  # responded → sent
        assert AuditEvent.objects.filter(event_type="ASSIGNMENT_ITEM_FORCE_UNBLOCKED", object_uuid=item.uuid).exists()
        assert OutboxMessage.objects.filter(template="assignment_item_unblocked").count() == 1

    def test_recusal_required_conflicts_are_overridden_too(self, world):
        item = f.item(f.batch(world.entry), world.proposal, status="coi_blocked")
        f.conflict(world.profile, world.proposal)
        assert unblock(world.manager, item, {"override_reason": "r"}).json()["status"] == "pending"

    def test_unanswerable_batch_leaves_it_expired(self, world):
        batch = f.batch(world.entry, status="sent", expires_at=timezone.now() - timedelta(minutes=1))
        item = f.item(batch, world.proposal, status="coi_blocked")
        assert unblock(world.manager, item, {"override_reason": "r"}).json()["status"] == "expired"

    def test_recused_conflict_refuses(self, world, sent):
        item = f.item(sent, world.proposal, status="coi_blocked")
        pending = f.conflict(world.profile, world.proposal, rule="management_allowed", coi_type="ROLE_NAMED",
                             severity="real")
        f.conflict(world.profile, world.proposal, status="recused", coi_type="INST_SAME")
        response = unblock(world.manager, item, {"override_reason": "r"})
        assert (response.status_code, response.json()) == (400, {
            "detail": "Item is blocked by a recused conflict and cannot be unblocked."})
        assert ConflictOfInterest.objects.get(pk=pending.pk).status == "pending"
        assert AssignmentItem.objects.get(pk=item.pk).override_reason == ""

    @pytest.mark.parametrize("status", ["pending", "declined", "accepted", "expired"])
    def test_state_guard(self, world, sent, status):
        item = f.item(sent, world.proposal, status=status)
        response = unblock(world.manager, item, {"override_reason": "r"})
        assert response.json() == {"detail": "Only COI-blocked items can be force-unblocked."}

    def test_reason_validation_comes_first(self, world, sent, item):
        for body in ({}, {"override_reason": ""}, {"override_reason": "   "}, {"override_reason": None},
                     {"override_reason": "x" * 2001}, {"override_reason": ["a"]}):
            response = unblock(world.manager, item, body)
            assert response.status_code == 400 and list(response.json()) == ["override_reason"], body

    @role_matrix(WRITE_REFUSED)
    def test_roles(self, world, sent, role, expected):
        item = f.item(sent, world.proposal, status="coi_blocked")
        response = unblock(role_user(world, role), item, {"override_reason": "r"})
        assert response.status_code == expected
        assert unblock(world.staff, item, {"override_reason": "r"}).status_code == 200
