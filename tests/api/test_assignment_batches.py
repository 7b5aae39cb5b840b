"""`/api/assignment-batches/` (§3.1): representation, roles, filters, ordering and every action."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from waldur_api_client.models import AssignmentBatch as ClientBatch
from waldur_api_client.models import (
    AssignmentBatchList,
    ExtendDeadlineResponse,
    MessageResponse,
    SendAssignmentBatchResponse,
)

from referee.assignments.models import AssignmentBatch, AssignmentItem
from referee.reviews.models import Review
from tests import factories as f
from tests.helpers import ROLES, as_role, assert_constant_queries, client_for, role_matrix, role_user

LIST = "/api/assignment-batches/"
NIL = "0" * 32
# A visible, sent batch: who gets what on a manager-only action (§1 order of checks).
ACTION_STATUS = {"anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 403, "support": 403}


def url(batch, action=None):
    return f"{LIST}{batch.uuid.hex}/" + (f"{action}/" if action else "")


@pytest.fixture
def sent(world):
    batch = f.batch(world.entry, status="sent", created_by=world.manager)
    f.item(batch, world.proposal)
    return batch


@pytest.mark.django_db
class TestRepresentation:
    def test_detail_parses_with_the_client_and_follows_the_rules(self, world, sent):
        review = Review.objects.create(proposal=world.proposal2, reviewer=world.reviewer)
        accepted = f.item(sent, world.proposal2, status="accepted", review=review, affinity_score=0.123456,
                          overridden_by=world.staff)
        f.conflict(world.profile, world.proposal)
        f.conflict(world.profile, world.proposal, rule="disclosure_only", severity="real")  # never blocks, not counted
        body = client_for(world.manager).get(url(sent)).json()
        parsed = ClientBatch.from_dict(body)
        assert parsed.uuid.hex == sent.uuid.hex and body["uuid"] == sent.uuid.hex
        assert body["url"] == f"http://testserver{url(sent)}"
        assert body["call"] == f"http://testserver/api/proposal-protected-calls/{world.call.uuid.hex}/"
        assert body["reviewer_pool_entry"] == f"http://testserver/api/call-reviewer-pools/{world.entry.uuid.hex}/"
        assert body["created_by"] == f"http://testserver/api/users/{world.manager.uuid.hex}/"
        assert (body["reviewer_uuid"], body["reviewer_name"], body["reviewer_email"]) == (
            world.profile.uuid.hex, world.reviewer.full_name, world.reviewer.email)
        assert (body["status_display"], body["source_display"], body["created_by_name"]) == (
            "Sent to reviewer", "Algorithm", world.manager.full_name)
        assert (body["items_count"], body["items_pending_count"], body["items_accepted_count"],
                body["items_declined_count"], body["is_expired"]) == (2, 1, 1, 0, False)
        assert body["sent_at"].endswith("Z") and body["created"].endswith("Z")
        first, second = body["items"]  # scored first
        assert second["review_uuid"] == NIL and second["review"] is None and second["coi_count"] == 1
        assert second["overridden_by_name"] == "" and second["status_display"] == "Awaiting response"
        assert first["affinity_score"] == 0.1235 and first["review_uuid"] == review.uuid.hex
        assert first["review"] == f"http://testserver/api/proposal-reviews/{review.uuid.hex}/"
        assert first["url"] == f"http://testserver/api/assignment-items/{accepted.uuid.hex}/"
        assert first["batch"] == body["url"] and first["overridden_by_name"] == world.staff.full_name
        assert first["proposal"] == f"http://testserver/api/proposal-proposals/{world.proposal2.uuid.hex}/"

    def test_each_item_count_counts_its_own_status_in_list_and_detail(self, world):
        """The four counts come from one subquery as one value: each must land in its own key, and
        a batch without items counts zeros, not null."""
        batch = f.batch(world.entry, status="responded")
        statuses = ["pending", "accepted", "accepted", "declined", "declined", "declined", "expired", "reassigned",
                    "coi_blocked"]
        for status in statuses:
            f.item(batch, f.proposal(world.round), status=status)
        empty = f.batch(world.entry, status="sent")
        keys = ("items_count", "items_pending_count", "items_accepted_count", "items_declined_count")
        rows = {row["uuid"]: row for row in client_for(world.manager).get(LIST).json()}
        detail = client_for(world.manager).get(url(batch)).json()
        assert tuple(rows[batch.uuid.hex][key] for key in keys) == tuple(detail[key] for key in keys) == (9, 1, 2, 3)
        assert tuple(rows[empty.uuid.hex][key] for key in keys) == (0, 0, 0, 0)
        mine = client_for(world.reviewer).get("/api/my-assignment-batches/?status=sent&status=responded").json()
        assert {row["uuid"]: (row["items_count"], row["items_pending_count"]) for row in mine} == {
            batch.uuid.hex: (9, 1), empty.uuid.hex: (0, 0)}

    def test_missing_creator_is_null_link_and_empty_name(self, world):
        body = client_for(world.manager).get(url(f.batch(world.entry))).json()
        ClientBatch.from_dict(body)
        assert (body["created_by"], body["created_by_name"], body["sent_at"], body["items"]) == (None, "", None, [])

    def test_expired_flag(self, world):
        batch = f.batch(world.entry, status="sent", expires_at=timezone.now() - timedelta(seconds=1))
        assert client_for(world.manager).get(url(batch)).json()["is_expired"] is True

    def test_list_rows_parse_with_the_client(self, world, sent):
        f.batch(world.entry, source="manual")
        rows = client_for(world.manager).get(LIST).json()
        assert len(rows) == 2 and all("items" not in row for row in rows)
        assert [AssignmentBatchList.from_dict(row).status.value for row in rows] == ["draft", "sent"]

    def test_query_counts_are_constant(self, world, sent):
        client = client_for(world.manager)

        def add_batches():
            for _ in range(5):
                profile = f.profile(f.user())
                batch = f.batch(f.pool_entry(world.call, profile), status="sent", created_by=f.user())
                f.item(batch, world.proposal)

        assert_constant_queries(client, LIST, add_batches)

        def add_items():
            for _ in range(5):
                item = f.item(sent, f.proposal(world.round), affinity_score=0.5, overridden_by=world.staff)
                f.conflict(world.profile, item.proposal)
                item.review = Review.objects.create(proposal=item.proposal, reviewer=world.reviewer)
                item.save()

        assert_constant_queries(client, url(sent), add_items)


@pytest.mark.django_db
class TestVisibility:
    def batches(self, w):
        return {status: f.batch(w.entry, status=status) for status in ("sent", "responded", "expired", "cancelled")} | {
            "draft": f.batch(w.entry), "foreign": f.batch(f.pool_entry(w.other_call, f.profile(f.user())))}

    @role_matrix({"anonymous": None, "stranger": 0, "reviewer": 3, "other_manager": 1, "manager": 5, "support": 6,
                  "staff": 6})
    def test_list(self, world, role, expected):
        self.batches(world)
        response = as_role(world, role).get(LIST)
        if role == "anonymous":
            assert response.status_code == 401
        else:
            assert response.status_code == 200 and len(response.json()) == expected

    @pytest.mark.parametrize("role", ROLES)
    def test_detail(self, world, role):
        batches = self.batches(world)
        visible = {"anonymous": set(), "stranger": set(), "reviewer": {"sent", "responded", "expired"},
                   "other_manager": {"foreign"}, "manager": set(batches) - {"foreign"}, "support": set(batches),
                   "staff": set(batches)}
        client = client_for(role_user(world, role))
        for name, batch in batches.items():
            response = client.get(url(batch))
            expected = 401 if role == "anonymous" else 200 if name in visible[role] else 404
            assert response.status_code == expected, (role, name)

    def test_non_uuid_and_unknown_are_404(self, world):
        client = client_for(world.staff)
        assert client.get(f"{LIST}nope/").status_code == 404
        assert client.get(f"{LIST}{'1' * 32}/").status_code == 404

    def test_hyphenated_uuid_works(self, world, sent):
        assert client_for(world.manager).get(f"{LIST}{sent.uuid}/").status_code == 200

    @pytest.mark.parametrize("role", ROLES)
    def test_collection_post_is_405(self, world, role):
        response = client_for(role_user(world, role)).post(LIST, {"manager_notes": "x"}, format="json")
        assert response.status_code == (401 if role == "anonymous" else 405)


@pytest.mark.django_db
class TestFilteringAndOrdering:
    def test_filters(self, world):
        now = timezone.now()
        other = f.pool_entry(world.call, f.profile(f.user()))
        early = f.batch(world.entry, status="sent", sent_at=now - timedelta(days=3))
        late = f.batch(other, status="expired", sent_at=now - timedelta(days=1), source="manual")
        draft = f.batch(world.entry)
        foreign = f.batch(f.pool_entry(world.other_call, f.profile(f.user())))
        client = client_for(world.staff)

        def uuids(**params):
            return {row["uuid"] for row in client.get(LIST, params).json()}

        assert uuids(call_uuid=world.call.uuid.hex) == {early.uuid.hex, late.uuid.hex, draft.uuid.hex}
        assert uuids(call_uuid=str(world.other_call.uuid)) == {foreign.uuid.hex}
        assert uuids(reviewer_uuid=other.reviewer.uuid.hex) == {late.uuid.hex}
        assert uuids(reviewer_pool_entry_uuid=world.entry.uuid.hex) == {early.uuid.hex, draft.uuid.hex}
        assert uuids(status=["sent", "draft"]) == {early.uuid.hex, draft.uuid.hex, foreign.uuid.hex}
        assert uuids(source="manual") == {late.uuid.hex}
        assert uuids(sent_after=early.sent_at.isoformat()) == {early.uuid.hex, late.uuid.hex}  # inclusive
        assert uuids(sent_before=early.sent_at.isoformat().replace("+00:00", "Z")) == {early.uuid.hex}
        naive = (now - timedelta(days=2)).replace(tzinfo=None).isoformat()
        assert uuids(sent_after=naive) == {late.uuid.hex}

    @pytest.mark.parametrize("param,value", [
        ("call_uuid", "nope"), ("reviewer_uuid", "123"), ("reviewer_pool_entry_uuid", "x"), ("status", "bogus"),
        ("source", "robot"), ("sent_after", "yesterday"), ("sent_before", "2026-13-01"), ("o", "name"),
    ])
    def test_bad_values_are_400_naming_the_parameter(self, world, param, value):
        response = client_for(world.staff).get(LIST, {param: value})
        assert response.status_code == 400 and param in response.json()

    def test_unknown_parameters_are_ignored(self, world, sent):
        assert len(client_for(world.staff).get(LIST, {"colour": "blue"}).json()) == 1

    def test_ordering(self, world):
        now = timezone.now()
        a = f.batch(world.entry, status="sent", sent_at=now - timedelta(days=2), expires_at=now + timedelta(days=9))
        b = f.batch(world.entry, status="expired", sent_at=now - timedelta(days=5), expires_at=now - timedelta(days=1))
        c = f.batch(world.entry)
        client = client_for(world.manager)

        def order(o=None):
            return [row["uuid"] for row in client.get(LIST, {"o": o} if o else {}).json()]

        assert order() == [c.uuid.hex, b.uuid.hex, a.uuid.hex]  # -created
        assert order("sent_at") == [b.uuid.hex, a.uuid.hex, c.uuid.hex]  # nulls last
        assert order("-expires_at") == [a.uuid.hex, b.uuid.hex, c.uuid.hex]
        assert order("status,created") == [c.uuid.hex, b.uuid.hex, a.uuid.hex]
        assert order("created") == [a.uuid.hex, b.uuid.hex, c.uuid.hex]

    def test_pagination_and_head(self, world):
        for _ in range(12):
            f.batch(f.pool_entry(world.call, f.profile(f.user())))
        client = client_for(world.manager)
        response = client.get(LIST, {"page": 2})
        assert len(response.json()) == 2 and response["X-Result-Count"] == "12" and 'rel="prev"' in response["Link"]
        head = client.head(LIST, {"status": "draft"})
        assert head.status_code == 200 and head["X-Result-Count"] == "12" and head.content == b""
        assert client.get(LIST, {"page": 3}).status_code == 404


@pytest.mark.django_db
class TestRoles:
    ACTIONS = [
        ("patch", None, {"manager_notes": "x"}), ("put", None, {"manager_notes": "x"}), ("delete", None, None),
        ("post", "send", {}), ("post", "cancel", {}), ("post", "extend-deadline", {"expires_at": "2030-01-01T00:00:00Z"}),
    ]

    @role_matrix(ACTION_STATUS)
    @pytest.mark.parametrize("method,action,body", ACTIONS)
    def test_manager_actions_refused(self, world, sent, role, expected, method, action, body):
        response = getattr(as_role(world, role), method)(url(sent, action), body, format="json")
        assert response.status_code == expected, response.content
        assert AssignmentBatch.objects.get(pk=sent.pk).manager_notes == ""

    @pytest.mark.parametrize("method,action,body", ACTIONS)
    def test_reviewer_cannot_see_drafts(self, world, method, action, body):
        draft = f.batch(world.entry)
        response = getattr(client_for(world.reviewer), method)(url(draft, action), body, format="json")
        assert response.status_code == 404

    @pytest.mark.parametrize("role", ["manager", "staff"])
    def test_managers_act(self, world, role):
        client = client_for(getattr(world, role))
        batch = f.batch(world.entry)
        f.item(batch, world.proposal)
        assert client.patch(url(batch), {"manager_notes": "n"}, format="json").status_code == 200
        assert client.post(url(batch, "send"), {}, format="json").status_code == 200
        assert client.post(url(batch, "cancel")).status_code == 200
        assert client.delete(url(batch)).status_code == 204


@pytest.mark.django_db
class TestUpdate:
    @pytest.mark.parametrize("method", ["put", "patch"])
    def test_only_notes_change(self, world, sent, method):
        body = {"manager_notes": "Thanks!", "status": "cancelled", "source": "manual"}
        response = getattr(client_for(world.manager), method)(url(sent), body, format="json")
        assert response.status_code == 200
        parsed = ClientBatch.from_dict(response.json())
        assert (parsed.manager_notes, parsed.status.value, parsed.source.value) == ("Thanks!", "sent", "algorithm")
        assert len(parsed.items) == 1

    def test_empty_body_changes_nothing(self, world, sent):
        response = client_for(world.manager).patch(url(sent), {}, format="json")
        assert response.status_code == 200 and response.json()["manager_notes"] == ""

    def test_validation(self, world, sent):
        client = client_for(world.manager)
        for bad in ("x" * 5001, ["list"], None):
            response = client.patch(url(sent), {"manager_notes": bad}, format="json")
            assert response.status_code == 400 and "manager_notes" in response.json()
        assert client.patch(url(sent), {"manager_notes": "x" * 5000}, format="json").status_code == 200
        response = client.generic("PATCH", url(sent), "{oops", content_type="application/json")
        assert response.status_code == 400 and "detail" in response.json()

    @pytest.mark.parametrize("status", ["responded", "expired", "cancelled"])
    def test_frozen_notes(self, world, status):
        batch = f.batch(world.entry, status=status)
        response = client_for(world.manager).patch(url(batch), {"manager_notes": "x"}, format="json")
        assert response.status_code == 400
        assert response.json() == {"detail": "Notes can only be changed while the batch is draft or sent."}


@pytest.mark.django_db
class TestDelete:
    def test_deletes_with_items(self, world):
        batch = f.batch(world.entry)
        f.item(batch, world.proposal)
        assert client_for(world.manager).delete(url(batch)).status_code == 204
        assert not AssignmentItem.objects.exists()

    @pytest.mark.parametrize("status,items,message", [
        ("sent", [], "Only draft or cancelled batches can be deleted."),
        ("responded", [], "Only draft or cancelled batches can be deleted."),
        ("expired", [], "Only draft or cancelled batches can be deleted."),
        ("cancelled", ["accepted"], "Batches with accepted assignments cannot be deleted."),
    ])
    def test_guards(self, world, status, items, message):
        batch = f.batch(world.entry, status=status)
        for item_status in items:
            f.item(batch, world.proposal, status=item_status)
        response = client_for(world.manager).delete(url(batch))
        assert (response.status_code, response.json()) == (400, {"detail": message})


@pytest.mark.django_db
class TestSend:
    def test_send(self, world):
        batch = f.batch(world.entry)
        f.item(batch, world.proposal)
        response = client_for(world.manager).post(url(batch, "send"), {"manager_notes": "Soon"}, format="json")
        assert response.status_code == 200
        parsed = SendAssignmentBatchResponse.from_dict(response.json())
        assert parsed.detail == "Assignment batch invitation sent successfully."
        batch.refresh_from_db()
        assert (batch.status, batch.manager_notes, parsed.expires_at) == ("sent", "Soon", batch.expires_at)
        assert set(response.json()) == {"detail", "expires_at"}

    def test_guards_and_validation(self, world, sent):
        client = client_for(world.manager)
        assert client.post(url(sent, "send")).json() == {"detail": "Only draft batches can be sent."}
        empty = f.batch(world.entry)
        assert client.post(url(empty, "send")).json() == {"detail": "Batch has no pending items to send."}
        f.item(empty, world.proposal2)
        response = client.post(url(empty, "send"), {"manager_notes": "x" * 5001}, format="json")
        assert response.status_code == 400 and "manager_notes" in response.json()
        f.conflict(world.profile, world.proposal2)
        assert client.post(url(empty, "send")).json() == {"detail": "Batch has no pending items to send."}


@pytest.mark.django_db
class TestCancel:
    @pytest.mark.parametrize("status", ["draft", "sent"])
    def test_cancel(self, world, status):
        batch = f.batch(world.entry, status=status)
        response = client_for(world.manager).post(url(batch, "cancel"))
        assert response.status_code == 200
        assert MessageResponse.from_dict(response.json()).message == "Assignment batch cancelled."

    @pytest.mark.parametrize("status", ["responded", "expired", "cancelled"])
    def test_guard(self, world, status):
        response = client_for(world.manager).post(url(f.batch(world.entry, status=status), "cancel"))
        assert (response.status_code, response.json()) == (400, {"detail": "Only draft or sent batches can be cancelled."})


@pytest.mark.django_db
class TestExtendDeadline:
    def post(self, w, batch, body):
        return client_for(w.manager).post(url(batch, "extend-deadline"), body, format="json")

    def test_extends(self, world, sent):
        target = (timezone.now() + timedelta(days=20)).replace(microsecond=0)
        response = self.post(world, sent, {"expires_at": target.isoformat()})
        assert response.status_code == 200
        parsed = ExtendDeadlineResponse.from_dict(response.json())
        assert (parsed.expires_at, parsed.status) == (target, "sent")
        assert response.json()["expires_at"].endswith("Z")

    def test_naive_input_is_utc_and_reopens_expired(self, world):
        batch = f.batch(world.entry, status="expired")
        f.item(batch, world.proposal, status="expired")
        naive = (datetime.now(UTC) + timedelta(days=2)).replace(tzinfo=None, microsecond=0)
        response = self.post(world, batch, {"expires_at": naive.isoformat()})
        assert response.json() == {"expires_at": naive.isoformat() + "Z", "status": "sent"}
        assert batch.items.get().status == "pending"

    def test_field_errors(self, world, sent):
        now = timezone.now()
        cases = [
            ({}, "This field is required."),
            ({"expires_at": "next week"}, None),
            ({"expires_at": None}, None),
            ({"expires_at": (now - timedelta(hours=1)).isoformat()}, "New deadline must be in the future."),
            ({"expires_at": (now + timedelta(days=366)).isoformat()}, "New deadline must be within 365 days."),
            ({"expires_at": (sent.expires_at - timedelta(hours=1)).isoformat()},
             "New deadline must be later than the current deadline."),
        ]
        for body, message in cases:
            response = self.post(world, sent, body)
            assert response.status_code == 400 and list(response.json()) == ["expires_at"], body
            if message:
                assert response.json()["expires_at"] == [message]

    @pytest.mark.parametrize("status", ["draft", "responded", "cancelled"])
    def test_state_guard(self, world, status):
        tomorrow = (timezone.now() + timedelta(days=1)).isoformat()
        response = self.post(world, f.batch(world.entry, status=status), {"expires_at": tomorrow})
        assert response.json() == {"detail": "Can only extend deadline for sent or expired batches."}


@pytest.mark.django_db
class TestAdmin:
    """The Django admin lists batches and items with their status, filters and search."""

    def test_changelists_filters_search_and_detail(self, world, sent, client):
        world.staff.is_superuser = True
        world.staff.save()
        client.force_login(world.staff)
        item = sent.items.get()
        pages = [
            "/admin/assignments/assignmentbatch/", "/admin/assignments/assignmentbatch/?status__exact=sent",
            f"/admin/assignments/assignmentbatch/?q={world.reviewer.username}",
            f"/admin/assignments/assignmentbatch/{sent.pk}/change/",
            "/admin/assignments/assignmentitem/?status__exact=pending&has_coi__exact=0",
            f"/admin/assignments/assignmentitem/?q={world.proposal.name}",
            f"/admin/assignments/assignmentitem/{item.pk}/change/",
        ]
        for page in pages:
            response = client.get(page)
            assert response.status_code == 200, page
        listing = client.get("/admin/assignments/assignmentbatch/").content.decode()
        assert "Sent to reviewer" in listing and str(sent.uuid) in listing
        assert client.get(f"/admin/assignments/assignmentbatch/{sent.pk}/delete/").status_code == 403
