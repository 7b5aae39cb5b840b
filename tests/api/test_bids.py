"""`/api/reviewer-bids/` (§3.9): representation, roles, `my-bids/`, `submit/`, `bulk-submit/`,
owner-only changes, filters, ordering and query counts."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from waldur_api_client.models import ReviewerBid as ClientBid
from waldur_api_client.models import ReviewerBidsBulkSubmitResponse200

from referee.core.models import AuditEvent
from referee.reviewers.bids import bulk_submit_bids
from referee.reviewers.models import ReviewerBid
from tests import factories as f
from tests.helpers import ROLES, as_role, assert_constant_queries, assert_visible, client_for, role_matrix, role_user

LIST = "/api/reviewer-bids/"
SUBMIT = f"{LIST}submit/"
BULK = f"{LIST}bulk-submit/"
NO_PROFILE = "You must have a reviewer profile to submit bids."
NOT_IN_POOL = "You are not in the reviewer pool for this call."
CLOSED = "Bidding is closed for this proposal."


def url(bid):
    return f"{LIST}{bid.uuid.hex}/"


def bid(profile, proposal, value="willing", **kwargs):
    return ReviewerBid.objects.create(reviewer=profile, proposal=proposal, bid=value, **kwargs)


@pytest.fixture
def bids(world):
    """The reviewer's own bid, a colleague's in the same call and a stranger's bid in another call."""
    colleague = f.profile(f.user())
    f.pool_entry(world.call, colleague)
    outsider = f.profile(f.user())
    return {
        "own": bid(world.profile, world.proposal, "eager", comment="Love it"),
        "colleague": bid(colleague, world.proposal2, "not_willing"),
        "foreign": bid(outsider, f.proposal(f.round_(world.other_call)), "conflict"),
    }


@pytest.mark.django_db
class TestReads:
    def test_detail_parses_with_the_client(self, world, bids):
        own = bids["own"]
        body = client_for(world.reviewer).get(url(own)).json()
        parsed = ClientBid.from_dict(body)
        assert parsed.bid.value == "eager" and "url" not in body
        host = "http://testserver/api"
        assert (body["uuid"], body["call"], body["call_uuid"]) == (
            own.uuid.hex, f"{host}/proposal-protected-calls/{world.call.uuid.hex}/", world.call.uuid.hex)
        assert (body["reviewer"], body["reviewer_uuid"], body["reviewer_name"]) == (
            f"{host}/reviewer-profiles/{world.profile.uuid.hex}/", world.profile.uuid.hex, world.reviewer.full_name)
        assert (body["proposal"], body["proposal_uuid"], body["proposal_name"]) == (
            f"{host}/proposal-proposals/{world.proposal.uuid.hex}/", world.proposal.uuid.hex, world.proposal.name)
        assert (body["bid_display"], body["comment"]) == ("Eager", "Love it")
        assert body["submitted_at"].endswith("Z") and body["modified_at"].endswith("Z")
        assert client_for(world.staff).get(url(bids["colleague"])).json()["bid_display"] == "Not willing"

    @role_matrix({"anonymous": set(), "stranger": set(), "reviewer": {"own"}, "other_manager": {"foreign"},
                  "manager": {"own", "colleague"}, "support": {"own", "colleague", "foreign"},
                  "staff": {"own", "colleague", "foreign"}})
    def test_visibility(self, world, bids, role, expected):
        assert_visible(as_role(world, role), role, LIST, bids, expected, url, parse=ClientBid.from_dict)

    @pytest.mark.parametrize("role", ROLES)
    def test_my_bids(self, world, bids, role):
        response = client_for(role_user(world, role)).get(f"{LIST}my-bids/")
        if role == "anonymous":
            assert response.status_code == 401
            return
        expected = [bids["own"].uuid.hex] if role == "reviewer" else []  # no profile (or no bids): []
        assert [ClientBid.from_dict(row).uuid.hex for row in response.json()] == expected
        assert response["X-Result-Count"] == str(len(expected)) and "Link" in response

    def test_my_bids_filters_and_ordering(self, world, bids):
        second = bid(world.profile, world.proposal2, "not_willing")
        client = client_for(world.reviewer)
        rows = client.get(f"{LIST}my-bids/", {"bid": "not_willing"}).json()
        assert [row["uuid"] for row in rows] == [second.uuid.hex]
        rows = client.get(f"{LIST}my-bids/", {"o": "bid"}).json()
        assert [row["bid"] for row in rows] == ["eager", "not_willing"]
        assert client.get(f"{LIST}my-bids/", {"bid": "maybe"}).status_code == 400

    def test_filters_and_ordering(self, world, bids):
        client = client_for(world.staff)

        def uuids(**params):
            response = client.get(LIST, params)
            assert response.status_code == 200, response.content
            return [row["uuid"] for row in response.json()]

        own, colleague, foreign = (bids[n].uuid.hex for n in ("own", "colleague", "foreign"))
        assert set(uuids(call_uuid=world.call.uuid.hex)) == {own, colleague}
        assert uuids(proposal_uuid=str(world.proposal2.uuid)) == [colleague]
        assert uuids(reviewer_uuid=world.profile.uuid.hex) == [own]
        assert set(uuids(bid=["eager", "conflict"])) == {own, foreign}
        assert uuids() == [foreign, colleague, own]  # -submitted_at
        assert uuids(o="submitted_at") == [own, colleague, foreign]
        assert uuids(o="bid") == [foreign, own, colleague]
        ReviewerBid.objects.filter(pk=bids["own"].pk).update(modified=timezone.now() + timedelta(hours=1))
        assert uuids(o="-modified_at")[0] == own
        for param, value in (("call_uuid", "x"), ("proposal_uuid", "1"), ("reviewer_uuid", "z"), ("bid", "maybe"),
                             ("o", "created")):
            response = client.get(LIST, {param: value})
            assert response.status_code == 400 and param in response.json()

    def test_query_counts_are_constant(self, world, bids):
        def add_bids():
            for _ in range(5):
                profile = f.profile(f.user())
                f.pool_entry(world.call, profile)
                bid(profile, f.proposal(world.round))
                bid(world.profile, f.proposal(world.round))

        assert_constant_queries(client_for(world.manager), LIST, add_bids)
        assert_constant_queries(client_for(world.reviewer), f"{LIST}my-bids/", add_bids)


@pytest.mark.django_db
class TestSubmit:
    def submit(self, user, **body):
        return client_for(user).post(SUBMIT, {"proposal_uuid": body.pop("proposal").uuid.hex, **body}, format="json")

    def test_creates_then_updates_answering_200(self, world):
        response = self.submit(world.reviewer, proposal=world.proposal, bid="eager", comment="Yes")
        assert response.status_code == 200
        created = ClientBid.from_dict(response.json())
        assert (created.bid.value, created.comment, created.call_uuid.hex) == ("eager", "Yes", world.call.uuid.hex)
        response = client_for(world.reviewer).post(
            SUBMIT, {"proposal_uuid": str(world.proposal.uuid), "bid": "not_willing"}, format="json")
        assert response.status_code == 200
        body = response.json()
        assert (body["uuid"], body["bid"], body["comment"]) == (created.uuid.hex, "not_willing", "Yes")
        assert ReviewerBid.objects.count() == 1
        events = [(e.event_type, e.from_state, e.to_state) for e in AuditEvent.objects.order_by("created", "id")]
        assert events == [("REVIEWER_BID_SUBMITTED", "", "eager"), ("REVIEWER_BID_UPDATED", "eager", "not_willing")]

    @role_matrix({"anonymous": 401, "support": 403, "stranger": 400, "other_manager": 400, "manager": 400,
                  "staff": 400, "reviewer": 200})
    def test_roles(self, world, role, expected):
        response = self.submit(role_user(world, role), proposal=world.proposal, bid="willing")
        assert response.status_code == expected, response.content
        if expected == 400:
            assert response.json() == {"detail": NO_PROFILE}

    def test_refusals_in_order(self, world):
        missing = client_for(world.reviewer).post(SUBMIT, {"proposal_uuid": uuid.uuid4().hex, "bid": "eager"},
                                                  format="json")
        assert missing.status_code == 400 and missing.json() == {"proposal_uuid": ["Proposal not found."]}
        foreign = f.proposal(f.round_(world.other_call))
        assert self.submit(world.reviewer, proposal=foreign, bid="eager").json() == {"detail": NOT_IN_POOL}
        f.pool_entry(world.other_call, world.profile, status="pending")
        assert self.submit(world.reviewer, proposal=foreign, bid="eager").json() == {"detail": NOT_IN_POOL}
        for state in ("draft", "accepted", "rejected", "canceled"):
            world.proposal.state = state
            world.proposal.save()
            assert self.submit(world.reviewer, proposal=world.proposal, bid="eager").json() == {"detail": CLOSED}
        world.proposal.state = "in_review"
        world.proposal.save()
        assert self.submit(world.reviewer, proposal=world.proposal, bid="eager").status_code == 200

    @pytest.mark.parametrize("body,field", [
        ({"bid": "eager"}, "proposal_uuid"), ({"proposal_uuid": "nope", "bid": "eager"}, "proposal_uuid"),
        ({"proposal_uuid": "P", "bid": "maybe"}, "bid"), ({"proposal_uuid": "P"}, "bid"),
        ({"proposal_uuid": "P", "bid": "eager", "comment": "x" * 2001}, "comment"),
    ])
    def test_bad_bodies_name_the_field(self, world, body, field):
        if body.get("proposal_uuid") == "P":
            body = {**body, "proposal_uuid": world.proposal.uuid.hex}
        response = client_for(world.reviewer).post(SUBMIT, body, format="json")
        assert response.status_code == 400 and field in response.json()
        assert not ReviewerBid.objects.exists()

    def test_comment_of_2000_is_fine(self, world):
        assert self.submit(world.reviewer, proposal=world.proposal, bid="eager", comment="x" * 2000).status_code == 200


@pytest.mark.django_db
class TestBulkSubmit:
    def test_each_bid_saved_alone(self, world):
        draft = f.proposal(world.round, state="draft")
        unknown = uuid.uuid4().hex
        bids = [
            {"proposal_uuid": world.proposal.uuid.hex, "bid": "eager"},
            {"proposal_uuid": draft.uuid.hex, "bid": "willing"},
            {"proposal_uuid": unknown, "bid": "willing"},
            {"proposal_uuid": str(world.proposal2.uuid), "bid": "conflict", "comment": "My old lab"},
            {"proposal_uuid": world.proposal2.uuid.hex, "bid": "sometimes"},
        ]
        response = client_for(world.reviewer).post(BULK, {"bids": bids}, format="json")
        assert response.status_code == 200
        body = response.json()
        ReviewerBidsBulkSubmitResponse200.from_dict(body)
        assert body["submitted"] == 2
        assert body["errors"][:2] == [f"{draft.uuid.hex}: {CLOSED}", f"{unknown}: Proposal not found."]
        assert body["errors"][2].startswith(f"{world.proposal2.uuid.hex}: bid: ")
        assert dict(ReviewerBid.objects.values_list("proposal_id", "bid")) == {
            world.proposal.id: "eager", world.proposal2.id: "conflict"}

    def test_all_saved_means_errors_null(self, world):
        bids = [{"proposal_uuid": p.uuid.hex, "bid": "willing"} for p in (world.proposal, world.proposal2)]
        body = client_for(world.reviewer).post(BULK, {"bids": bids}, format="json").json()
        assert body == {"submitted": 2, "errors": None}

    @pytest.mark.parametrize("payload", [{}, {"bids": []}, {"bids": "x"}, {"bids": [1]}, [],
                                         {"bids": [{"bid": "eager"}] * 1001}])
    def test_bad_shapes_are_400(self, world, payload):
        response = client_for(world.reviewer).post(BULK, payload, format="json")
        assert response.status_code == 400
        assert not ReviewerBid.objects.exists()

    def test_no_profile_and_support(self, world):
        body = {"bids": [{"proposal_uuid": world.proposal.uuid.hex, "bid": "eager"}]}
        response = client_for(world.stranger).post(BULK, body, format="json")
        assert response.status_code == 400 and response.json() == {"detail": NO_PROFILE}
        assert client_for(world.support).post(BULK, body, format="json").status_code == 403
        assert client_for().post(BULK, body, format="json").status_code == 401

    def test_a_thousand_bids_are_accepted(self, world):
        bids = [{"proposal_uuid": world.proposal.uuid.hex, "bid": "willing"}] * 1000
        assert client_for(world.reviewer).post(BULK, {"bids": bids}, format="json").json()["submitted"] == 1000

    def test_the_same_proposal_twice_creates_then_updates(self, world):
        bids = [{"proposal_uuid": world.proposal.uuid.hex, "bid": "eager", "comment": "Mine"},
                {"proposal_uuid": world.proposal.uuid.hex, "bid": "willing"},
                {"proposal_uuid": str(world.proposal.uuid), "bid": "not_willing"}]
        assert client_for(world.reviewer).post(BULK, {"bids": bids}, format="json").json() == {
            "submitted": 3, "errors": None}
        assert list(ReviewerBid.objects.values_list("bid", "comment", "call_id")) == [
            ("not_willing", "Mine", world.call.id)]
        assert [(e.event_type, e.from_state, e.to_state) for e in AuditEvent.objects.order_by("id")] == [
            ("REVIEWER_BID_SUBMITTED", "", "eager"), ("REVIEWER_BID_UPDATED", "eager", "willing"),
            ("REVIEWER_BID_UPDATED", "willing", "not_willing")]

    def test_each_body_has_its_outcome_and_only_the_saved_are_written(self, world):
        old = bid(world.profile, world.proposal2, "willing", comment="Kept")
        draft, foreign = f.proposal(world.round, state="draft"), f.proposal(f.round_(world.other_call))
        body = [{"proposal_uuid": world.proposal.uuid, "bid": "eager"}, {"proposal_uuid": uuid.uuid4(), "bid": "eager"},
                {"proposal_uuid": foreign.uuid, "bid": "eager"}, {"proposal_uuid": draft.uuid, "bid": "eager"},
                {"proposal_uuid": world.proposal2.uuid, "bid": "conflict"}]
        assert bulk_submit_bids(world.reviewer, body) == [None, "Proposal not found.", NOT_IN_POOL, CLOSED, None]
        written = ReviewerBid.objects.get(proposal=world.proposal)
        assert dict(ReviewerBid.objects.values_list("proposal_id", "bid")) == {
            world.proposal.id: "eager", world.proposal2.id: "conflict"}
        changed = ReviewerBid.objects.get(pk=old.pk)
        assert (changed.comment, changed.call_id) == ("Kept", world.call.id) and changed.modified > old.modified
        events = [(e.event_type, e.object_uuid, e.call_id, e.actor_id, e.from_state, e.to_state)
                  for e in AuditEvent.objects.order_by("id")]
        assert events == [
            ("REVIEWER_BID_SUBMITTED", written.uuid, world.call.id, world.reviewer.id, "", "eager"),
            ("REVIEWER_BID_UPDATED", old.uuid, world.call.id, world.reviewer.id, "willing", "conflict")]

    def test_statements_do_not_grow_with_the_bodies(self, world):
        def statements(n) -> int:
            """Bids on n new proposals, every other one already placed, plus a repeat, an unknown,
            a closed and an invalid body."""
            proposals = [f.proposal(world.round) for _ in range(n)]
            for proposal in proposals[::2]:
                bid(world.profile, proposal)
            bids = [{"proposal_uuid": p.uuid.hex, "bid": "eager"} for p in [*proposals, proposals[0]]]
            bids += [{"proposal_uuid": uuid.uuid4().hex, "bid": "eager"},
                     {"proposal_uuid": f.proposal(world.round, state="draft").uuid.hex, "bid": "eager"},
                     {"proposal_uuid": proposals[1].uuid.hex, "bid": "maybe"}]
            with CaptureQueriesContext(connection) as queries:
                body = client_for(world.reviewer).post(BULK, {"bids": bids}, format="json").json()
            assert body["submitted"] == n + 1 and len(body["errors"]) == 3, body
            return len(queries)

        statements(2)  # warm per-process caches
        # SQLite takes at most 999 parameters a statement, so Django writes a bulk insert of more
        # than that (about 80 audit events) in several statements: there the bodies stay within one.
        assert statements(10) == statements(200 if connection.vendor == "postgresql" else 60)


@pytest.mark.django_db
class TestOwnerChanges:
    # Everyone but the reviewer who owns the bid (whose success status the test adds).
    STATUS = {"anonymous": 401, "stranger": 404, "other_manager": 404, "support": 403, "manager": 403, "staff": 403}

    @role_matrix({**STATUS, "reviewer": 200})
    @pytest.mark.parametrize("method", ["put", "patch"])
    def test_update(self, world, bids, role, expected, method):
        own = bids["own"]
        response = getattr(as_role(world, role), method)(
            url(own), {"bid": "willing", "comment": "Changed", "proposal": world.proposal2.uuid.hex}, format="json")
        assert response.status_code == expected, response.content
        own.refresh_from_db()
        if role == "reviewer":
            assert ClientBid.from_dict(response.json()).bid.value == "willing"
            assert (own.bid, own.comment, own.proposal_id) == ("willing", "Changed", world.proposal.id)
        else:
            assert (own.bid, own.comment) == ("eager", "Love it")

    @role_matrix({**STATUS, "reviewer": 204})
    def test_delete(self, world, bids, role, expected):
        response = as_role(world, role).delete(url(bids["own"]))
        assert response.status_code == expected
        assert ReviewerBid.objects.filter(pk=bids["own"].pk).exists() is (role != "reviewer")

    def test_patch_keeps_what_is_not_sent_and_put_needs_the_bid(self, world, bids):
        client = client_for(world.reviewer)
        assert client.patch(url(bids["own"]), {"comment": ""}, format="json").json()["bid"] == "eager"
        response = client.put(url(bids["own"]), {"comment": "x"}, format="json")
        assert response.status_code == 400 and "bid" in response.json()
        response = client.patch(url(bids["own"]), {"comment": "x" * 2001}, format="json")
        assert response.status_code == 400 and "comment" in response.json()

    @pytest.mark.parametrize("role", ROLES)
    def test_collection_post_is_405(self, world, role):
        response = client_for(role_user(world, role)).post(LIST, {"bid": "eager"}, format="json")
        assert response.status_code == (401 if role == "anonymous" else 405)
