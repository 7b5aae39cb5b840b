"""`/api/my-assignment-batches/` (§3.2): the reviewer's own sent batches and proposal disclosure."""

from datetime import timedelta

import pytest
from django.utils import timezone
from waldur_api_client.models import MyAssignmentBatch, MyAssignmentBatchDetail

from referee.conflicts.models import ConflictOfInterest
from referee.reviews.models import Review
from tests import factories as f
from tests.helpers import ROLES, assert_constant_queries, client_for, role_user

LIST = "/api/my-assignment-batches/"


def url(batch):
    return f"{LIST}{batch.uuid.hex}/"


@pytest.fixture
def batches(world):
    now = timezone.now()
    return {
        "sent": f.batch(world.entry, status="sent", sent_at=now - timedelta(days=1)),
        "responded": f.batch(world.entry, status="responded", sent_at=now - timedelta(days=3)),
        "expired": f.batch(world.entry, status="expired", sent_at=now - timedelta(days=2)),
        "cancelled": f.batch(world.entry, status="cancelled"),
        "draft": f.batch(world.entry),
    }


@pytest.mark.django_db
class TestList:
    def test_defaults_to_sent_and_status_widens(self, world, batches):
        client = client_for(world.reviewer)
        rows = client.get(LIST).json()
        assert [row["uuid"] for row in rows] == [batches["sent"].uuid.hex]
        parsed = MyAssignmentBatch.from_dict(rows[0])
        assert (parsed.status, parsed.status_display, parsed.call_uuid.hex) == ("sent", "Sent to reviewer", world.call.uuid.hex)
        rows = client.get(LIST, {"status": ["sent", "responded", "expired"]}).json()
        assert [row["uuid"] for row in rows] == [batches[s].uuid.hex for s in ("sent", "expired", "responded")]  # -sent_at
        assert [MyAssignmentBatch.from_dict(row).status for row in rows] == ["sent", "expired", "responded"]
        assert set(rows[0]) == {"uuid", "call_uuid", "call_name", "status", "status_display", "sent_at", "expires_at",
                                "is_expired", "items_count", "items_pending_count", "manager_notes"}

    @pytest.mark.parametrize("value", ["draft", "cancelled", "bogus"])
    def test_other_statuses_are_400(self, world, batches, value):
        response = client_for(world.reviewer).get(LIST, {"status": value})
        assert response.status_code == 400 and "status" in response.json()

    def test_counts(self, world, batches):
        f.item(batches["sent"], world.proposal)
        f.item(batches["sent"], world.proposal2, status="declined")
        row = client_for(world.reviewer).get(LIST).json()[0]
        assert (row["items_count"], row["items_pending_count"], row["is_expired"]) == (2, 1, False)

    @pytest.mark.parametrize("role", ROLES)
    def test_only_own_batches(self, world, batches, role):
        response = client_for(role_user(world, role)).get(LIST, {"status": ["sent", "responded", "expired"]})
        if role == "anonymous":
            assert response.status_code == 401
        else:
            assert len(response.json()) == (3 if role == "reviewer" else 0)

    def test_without_profile_the_list_is_empty(self, world):
        response = client_for(world.stranger).get(LIST)
        assert (response.status_code, response.json(), response["X-Result-Count"]) == (200, [], "0")

    def test_paginated_and_head(self, world):
        for _ in range(11):
            f.batch(world.entry, status="sent")
        client = client_for(world.reviewer)
        response = client.get(LIST)
        assert len(response.json()) == 10 and response["X-Result-Count"] == "11" and 'rel="next"' in response["Link"]
        assert client.head(LIST)["X-Result-Count"] == "11"

    def test_post_is_405(self, world):
        assert client_for(world.reviewer).post(LIST, {}, format="json").status_code == 405

    def test_query_count_is_constant(self, world, batches):
        def add():
            for _ in range(5):
                f.item(f.batch(world.entry, status="sent"), world.proposal, status="declined")

        assert_constant_queries(client_for(world.reviewer), LIST, add)


@pytest.mark.django_db
class TestDetail:
    @pytest.mark.parametrize("role", ROLES)
    def test_visibility(self, world, batches, role):
        client = client_for(role_user(world, role))
        for name, batch in batches.items():
            response = client.get(url(batch))
            if role == "anonymous":
                expected = 401
            else:
                expected = 200 if role == "reviewer" and name in ("sent", "responded", "expired") else 404
            assert response.status_code == expected, (role, name)

    def test_no_profile_message(self, world, batches):
        response = client_for(world.stranger).get(url(batches["sent"]))
        assert (response.status_code, response.json()) == (404, {"detail": "Reviewer profile not found."})

    def test_other_reviewer_gets_404(self, world, batches):
        other = f.user()
        f.profile(other)
        response = client_for(other).get(url(batches["sent"]))
        assert response.status_code == 404 and response.json() != {"detail": "Reviewer profile not found."}
        assert client_for(other).get(f"{LIST}nope/").status_code == 404

    def test_items_order_and_shape(self, world, batches):
        batch = batches["sent"]
        low = f.item(batch, world.proposal, affinity_score=0.2)
        review = Review.objects.create(proposal=world.proposal2, reviewer=world.reviewer)
        high = f.item(batch, world.proposal2, status="accepted", affinity_score=0.9, review=review)
        unscored = [f.item(batch, f.proposal(world.round, name=name)) for name in ("B", "A")]
        body = client_for(world.reviewer).get(url(batch)).json()
        parsed = MyAssignmentBatchDetail.from_dict(body)
        assert [i.uuid.hex for i in parsed.items] == [high.uuid.hex, low.uuid.hex, unscored[1].uuid.hex, unscored[0].uuid.hex]
        first, second = body["items"][:2]
        assert (first["review_uuid"], second["review_uuid"]) == (review.uuid.hex, None)
        assert (first["status"], first["status_display"], first["affinity_score"]) == ("accepted", "Accepted", 0.9)
        assert set(first) == {"uuid", "proposal_uuid", "proposal_name", "proposal_slug", "proposal_summary", "status",
                              "status_display", "affinity_score", "has_coi", "proposal_description", "review_uuid"}

    @pytest.mark.parametrize("level,summary,description", [
        ("titles_only", False, False), ("titles_and_summaries", True, False), ("full_details", True, True),
    ])
    def test_disclosure(self, world, batches, level, summary, description):
        world.call.coi_config.invitation_proposal_disclosure = level
        world.call.coi_config.save()
        batch = batches["sent"]
        f.item(batch, world.proposal, affinity_score=0.9)
        ConflictOfInterest.objects.create(reviewer=world.profile, proposal=world.proposal2, call=world.call,
                                          coi_type="ROLE_NAMED", severity="real", rule="recusal_required")
        f.item(batch, world.proposal2, status="coi_blocked", affinity_score=0.1)
        response = client_for(world.reviewer).get(url(batch))
        free, blocked = response.json()["items"]
        assert free["proposal_summary"] == (world.proposal.project_summary if summary else "")
        assert free["proposal_description"] == (world.proposal.description if description else "")
        assert (free["proposal_name"], free["proposal_slug"]) == (world.proposal.name, world.proposal.slug)
        assert (blocked["proposal_summary"], blocked["proposal_description"], blocked["has_coi"]) == ("", "", True)
        assert blocked["proposal_name"] == world.proposal2.name
        text = response.content.decode()
        assert world.proposal2.project_summary not in text and world.proposal2.description not in text

    def test_detail_queries_are_constant(self, world, batches):
        batch = batches["sent"]
        f.item(batch, world.proposal)

        def add():
            for _ in range(5):
                f.item(batch, f.proposal(world.round), affinity_score=0.3)

        assert_constant_queries(client_for(world.reviewer), url(batch), add)
