"""`/api/proposal-reviews/` (§3.11, §4.5): representation, visibility, filters, direct
creation with its guards and workload, the reviewer's PATCH, submit and reject."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from waldur_api_client.models import ProposalReview

from referee.assignments.models import AssignmentItem
from referee.conflicts.models import ConflictOfInterest
from referee.core.models import AuditEvent
from referee.reviews.models import Review
from tests import factories as f
from tests.helpers import ROLES, assert_constant_queries, client_for, role_matrix, role_user

LIST = "/api/proposal-reviews/"
WORKLOAD = ("Reviewer has 1 open assignments (limit 1); this request would add 1. "
            "Set override_workload_limit to assign anyway.")
NIL = "0" * 32


def url(review, action=None):
    return f"{LIST}{review.uuid.hex}/" + (f"{action}/" if action else "")


@pytest.fixture
def review(world):
    return Review.objects.create(proposal=world.proposal, reviewer=world.reviewer)


def create(user, body):
    return client_for(user).post(LIST, body, format="json")


@pytest.mark.django_db
class TestRepresentation:
    def test_detail_parses_with_the_client(self, world, review):
        body = client_for(world.manager).get(url(review)).json()
        parsed = ProposalReview.from_dict(body)
        assert parsed.uuid == review.uuid and parsed.state.value == "in_review"
        assert body["url"] == f"http://testserver{url(review)}"
        assert body["proposal"] == f"http://testserver/api/proposal-proposals/{world.proposal.uuid.hex}/"
        assert body["reviewer"] == f"http://testserver/api/users/{world.reviewer.uuid.hex}/"
        assert (body["reviewer_uuid"], body["reviewer_full_name"], body["reviewer_image"]) == (
            world.reviewer.uuid.hex, world.reviewer.full_name, "")
        assert (body["round_uuid"], body["call_uuid"], body["call_slug"]) == (
            world.round.uuid.hex, world.call.uuid.hex, world.call.slug)
        assert (body["call_managing_organisation_uuid"], body["coi_confirmation_required"]) == (NIL, False)
        assert (body["review_end_date"], body["anonymous_reviewer_name"], body["summary_score"]) == (
            None, "Reviewer 1", None)
        assert body["comment_team"] is None and body["summary_public_comment"] == ""
        assert body["created"].endswith("Z") and body["round_cutoff_time"].endswith("Z")

    def test_managing_organisation_and_end_date(self, world, review):
        world.call.manager = f.customer()
        world.call.save()
        world.round.review_duration_in_days = 10
        world.round.save()
        body = client_for(world.reviewer).get(url(review)).json()
        ProposalReview.from_dict(body)
        assert body["call_managing_organisation_uuid"] == world.call.manager.uuid.hex
        assert ProposalReview.from_dict(body).review_end_date == review.created + timedelta(days=10)

    def test_end_date_of_a_review_from_an_item_follows_the_batch_deadline(self, world, review):
        world.round.review_duration_in_days = 1
        world.round.save()
        batch = f.batch(world.entry, status="responded", expires_at=timezone.now() + timedelta(days=30))
        f.item(batch, world.proposal, status="accepted", review=review)
        rows = client_for(world.manager).get(LIST).json()
        assert ProposalReview.from_dict(rows[0]).review_end_date == batch.expires_at

    def test_list_query_count_is_constant(self, world, review):
        world.round.review_duration_in_days = 5
        world.round.save()

        def add_reviews():
            for _ in range(4):
                user = f.user()
                added = Review.objects.create(proposal=f.proposal(world.round), reviewer=user)
                entry = f.pool_entry(world.call, f.profile(user))
                f.item(f.batch(entry, status="sent"), added.proposal, status="accepted", review=added)

        assert_constant_queries(client_for(world.manager), LIST, add_reviews)

    def test_anonymous_names_follow_creation_order(self, world, review):
        second = Review.objects.create(proposal=world.proposal, reviewer=f.user())
        body = client_for(world.manager).get(url(second)).json()
        assert body["anonymous_reviewer_name"] == "Reviewer 2"


@pytest.mark.django_db
class TestVisibility:
    @pytest.mark.parametrize("role", ROLES)
    def test_list_and_detail(self, world, role, review):
        foreign = Review.objects.create(proposal=f.proposal(f.round_(world.other_call)), reviewer=f.user())
        visible = {"anonymous": set(), "stranger": set(), "reviewer": {review}, "other_manager": {foreign},
                   "manager": {review}, "support": {review, foreign}, "staff": {review, foreign}}[role]
        client = client_for(role_user(world, role))
        response = client.get(LIST)
        if role == "anonymous":
            assert response.status_code == 401
        else:
            assert {row["uuid"] for row in response.json()} == {r.uuid.hex for r in visible}
        for candidate in (review, foreign):
            expected = 401 if role == "anonymous" else 200 if candidate in visible else 404
            assert client.get(url(candidate)).status_code == expected

    @pytest.mark.parametrize("method", ["put", "delete"])
    def test_unlisted_methods_are_405(self, world, review, method):
        response = getattr(client_for(world.staff), method)(url(review), {}, format="json")
        assert response.status_code == 405

    def test_non_uuid_is_404(self, world):
        assert client_for(world.staff).get(f"{LIST}nope/").status_code == 404


@pytest.mark.django_db
class TestFilteringAndOrdering:
    def test_filters_and_ordering(self, world, review):
        other_round = f.round_(world.call)
        later = Review.objects.create(proposal=f.proposal(other_round), reviewer=world.stranger, state="submitted")
        foreign = Review.objects.create(proposal=f.proposal(f.round_(world.other_call)), reviewer=world.reviewer,
                                        state="rejected")
        client = client_for(world.staff)

        def uuids(**params):
            response = client.get(LIST, params)
            assert response.status_code == 200, response.content
            return [row["uuid"] for row in response.json()]

        assert set(uuids(call_uuid=world.call.uuid.hex)) == {review.uuid.hex, later.uuid.hex}
        assert uuids(proposal_uuid=str(world.proposal.uuid)) == [review.uuid.hex]
        assert set(uuids(reviewer_uuid=world.reviewer.uuid.hex)) == {review.uuid.hex, foreign.uuid.hex}
        assert uuids(round_uuid=other_round.uuid.hex) == [later.uuid.hex]
        assert set(uuids(state=["submitted", "rejected"])) == {later.uuid.hex, foreign.uuid.hex}
        assert uuids() == [foreign.uuid.hex, later.uuid.hex, review.uuid.hex]
        assert uuids(o="created") == [review.uuid.hex, later.uuid.hex, foreign.uuid.hex]
        assert uuids(o="state") == [review.uuid.hex, foreign.uuid.hex, later.uuid.hex]

    @pytest.mark.parametrize("param,value", [("call_uuid", "x"), ("proposal_uuid", "1"), ("reviewer_uuid", "no"),
                                             ("round_uuid", "z"), ("state", "done"), ("o", "score")])
    def test_bad_values(self, world, param, value):
        response = client_for(world.staff).get(LIST, {param: value})
        assert response.status_code == 400 and param in response.json()

    def test_head(self, world, review):
        head = client_for(world.manager).head(LIST)
        assert head.status_code == 200 and head["X-Result-Count"] == "1" and head.content == b""


@pytest.mark.django_db
class TestCreate:
    def test_manager_creates_an_in_review_review(self, world):
        body = {"proposal": f"http://testserver/api/proposal-proposals/{world.proposal.uuid.hex}/",
                "reviewer": f"http://testserver/api/users/{world.reviewer.uuid.hex}/"}
        response = create(world.manager, body)
        assert response.status_code == 201, response.content
        parsed = ProposalReview.from_dict(response.json())
        review = Review.objects.get()
        assert (parsed.uuid, review.state, review.reviewer, review.proposal) == (
            review.uuid, "in_review", world.reviewer, world.proposal)
        assert AuditEvent.objects.filter(event_type="REVIEW_CREATED", object_uuid=review.uuid).exists()

    def test_uuids_are_accepted(self, world):
        body = {"proposal": str(world.proposal.uuid), "reviewer": world.stranger.uuid.hex}
        assert create(world.staff, body).status_code == 201

    @role_matrix({"anonymous": 401, "stranger": 403, "reviewer": 403, "support": 403, "other_manager": 400})
    def test_roles(self, world, role, expected):
        body = {"proposal": world.proposal.uuid.hex, "reviewer": world.stranger.uuid.hex}
        response = create(role_user(world, role), body)
        assert response.status_code == expected
        if expected == 400:  # another call's manager cannot see the proposal at all
            assert response.json() == {"proposal": ["Proposal not found."]}
        assert not Review.objects.exists()

    def test_manager_of_a_call_who_sees_the_proposal_otherwise_gets_403(self, world):
        world.proposal.team.add(world.other_manager)
        body = {"proposal": world.proposal.uuid.hex, "reviewer": world.stranger.uuid.hex}
        assert create(world.other_manager, body).status_code == 403

    def test_field_validation(self, world):
        good = {"proposal": world.proposal.uuid.hex, "reviewer": world.stranger.uuid.hex}
        cases = [
            ({"reviewer": good["reviewer"]}, "proposal"), ({"proposal": good["proposal"]}, "reviewer"),
            ({**good, "proposal": "nope"}, "proposal"), ({**good, "proposal": "1" * 32}, "proposal"),
            ({**good, "reviewer": "1" * 32}, "reviewer"), ({**good, "reviewer": 12}, "reviewer"),
            ({**good, "proposal": ["x"]}, "proposal"), ({**good, "override_workload_limit": "soon"},
                                                        "override_workload_limit"),
        ]
        for body, field in cases:
            response = create(world.manager, body)
            assert response.status_code == 400 and list(response.json()) == [field], (body, response.content)

    def test_guards(self, world):
        def refused(reviewer, proposal=None):
            response = create(world.manager, {"proposal": (proposal or world.proposal).uuid.hex,
                                              "reviewer": reviewer.uuid.hex})
            assert response.status_code == 400
            return response.json()["detail"]

        assert refused(world.applicant) == "Reviewer is a member of the proposal team."
        ConflictOfInterest.objects.create(reviewer=world.profile, proposal=world.proposal, call=world.call,
                                          coi_type="ROLE_NAMED", severity="real", rule="recusal_required")
        assert refused(world.reviewer) == "Reviewer has an unresolved conflict of interest with this proposal."
        Review.objects.create(proposal=world.proposal2, reviewer=world.stranger, state="submitted")
        assert refused(world.stranger, world.proposal2) == "Reviewer already has an active review for this proposal."
        world.proposal.state = "draft"
        world.proposal.save()
        assert refused(world.stranger) == "Proposal is no longer open for review."

    def test_workload_applies_to_pool_members(self, world):
        world.entry.max_assignments = 1
        world.entry.save()
        f.item(f.batch(world.entry, status="sent"), world.proposal)  # one open assignment
        body = {"proposal": world.proposal2.uuid.hex, "reviewer": world.reviewer.uuid.hex}
        response = create(world.manager, body)
        assert (response.status_code, response.json()) == (400, {"override_workload_limit": [WORKLOAD]})
        assert not Review.objects.exists()
        assert create(world.manager, {**body, "override_workload_limit": True}).status_code == 201
        event = AuditEvent.objects.get(event_type="REVIEWER_WORKLOAD_LIMIT_OVERRIDDEN")
        assert (event.object_uuid, event.actor) == (world.entry.uuid, world.manager)
        # A user outside the pool has no limit.
        assert create(world.manager, {**body, "reviewer": world.stranger.uuid.hex}).status_code == 201


@pytest.mark.django_db
class TestPatch:
    def test_reviewer_edits_while_in_review(self, world, review):
        body = {"summary_score": 7, "summary_public_comment": "Good", "comment_team": "Strong", "state": "submitted"}
        response = client_for(world.reviewer).patch(url(review), body, format="json")
        assert response.status_code == 200, response.content
        parsed = ProposalReview.from_dict(response.json())
        assert (parsed.summary_score, parsed.summary_public_comment, parsed.comment_team, parsed.state.value) == (
            7, "Good", "Strong", "in_review")
        response = client_for(world.reviewer).patch(url(review), {"comment_team": None}, format="json")
        assert response.json()["comment_team"] is None

    @role_matrix({
        "anonymous": 401, "stranger": 404, "other_manager": 404, "manager": 403, "support": 403, "staff": 403,
    })
    def test_only_the_reviewer(self, world, review, role, expected):
        response = client_for(role_user(world, role)).patch(url(review), {"summary_score": 3}, format="json")
        assert response.status_code == expected
        assert Review.objects.get(pk=review.pk).summary_score is None

    def test_validation(self, world, review):
        client = client_for(world.reviewer)
        for field, bad in [("summary_score", 0), ("summary_score", 11), ("summary_score", "high"),
                           ("summary_public_comment", "x" * 2001), ("summary_public_comment", None),
                           ("comment_team", ["x"]), ("comment_project_title", "x" * 2001)]:
            response = client.patch(url(review), {field: bad}, format="json")
            assert response.status_code == 400 and list(response.json()) == [field], (field, bad)

    @pytest.mark.parametrize("state", ["submitted", "rejected"])
    def test_only_in_review(self, world, state):
        review = Review.objects.create(proposal=world.proposal, reviewer=world.reviewer, state=state)
        response = client_for(world.reviewer).patch(url(review), {"summary_score": 3}, format="json")
        assert response.json() == {"detail": "Only reviews in review can be changed."}

    def test_nothing_is_saved_once_the_deadline_has_passed_even_before_the_overdue_job_runs(self, world, review):
        world.round.review_duration_in_days = 2
        world.round.save()
        client = client_for(world.reviewer)
        with time_machine.travel(review.created + timedelta(days=2) - timedelta(seconds=1), tick=False):
            assert client.patch(url(review), {"summary_score": 3}, format="json").status_code == 200
        with time_machine.travel(review.created + timedelta(days=2), tick=False):
            response = client.patch(url(review), {"summary_score": 4}, format="json")
        assert (response.status_code, response.json()) == (400, {"detail": "Review deadline has passed."})
        review.refresh_from_db()
        assert (review.state, review.summary_score) == ("in_review", 3)


@pytest.mark.django_db
class TestSubmit:
    def test_submit(self, world, review):
        body = {"summary_score": 9, "summary_private_comment": "Fund it", "coi_confirmed": True}
        response = client_for(world.reviewer).post(url(review, "submit"), body, format="json")
        assert response.status_code == 200, response.content
        parsed = ProposalReview.from_dict(response.json())
        assert (parsed.state.value, parsed.summary_score, parsed.coi_confirmed) == ("submitted", 9, True)
        assert parsed.coi_confirmed_at is not None and parsed.summary_private_comment == "Fund it"
        assert AuditEvent.objects.filter(event_type="REVIEW_SUBMITTED").count() == 1

    @role_matrix({
        "anonymous": 401, "stranger": 404, "other_manager": 404, "manager": 403, "support": 403, "staff": 403,
    })
    def test_only_the_reviewer(self, world, review, role, expected):
        assert client_for(role_user(world, role)).post(url(review, "submit")).status_code == expected
        assert Review.objects.get(pk=review.pk).state == "in_review"

    @pytest.mark.parametrize("state", ["submitted", "rejected"])
    def test_only_in_review(self, world, state):
        review = Review.objects.create(proposal=world.proposal, reviewer=world.reviewer, state=state)
        response = client_for(world.reviewer).post(url(review, "submit"))
        assert (response.status_code, response.json()) == (400, {"detail": "Only reviews in review can be submitted."})

    def test_deadline(self, world, review):
        world.round.review_duration_in_days = 2
        world.round.save()
        with time_machine.travel(review.created + timedelta(days=2), tick=False):
            response = client_for(world.reviewer).post(url(review, "submit"))
        assert (response.status_code, response.json()) == (400, {"detail": "Review deadline has passed."})

    def test_batch_deadline_extends_the_review_deadline(self, world, review):
        world.round.review_duration_in_days = 2
        world.round.save()
        batch = f.batch(world.entry, status="responded", expires_at=review.created + timedelta(days=5))
        AssignmentItem.objects.create(batch=batch, proposal=world.proposal, status="accepted", review=review)
        with time_machine.travel(review.created + timedelta(days=3), tick=False):
            assert client_for(world.reviewer).post(url(review, "submit")).status_code == 200

    def test_validation(self, world, review):
        client = client_for(world.reviewer)
        for field, bad in [("summary_score", 0), ("summary_public_comment", "x" * 2001), ("coi_confirmed", "often")]:
            response = client.post(url(review, "submit"), {field: bad}, format="json")
            assert response.status_code == 400 and list(response.json()) == [field]
        assert Review.objects.get(pk=review.pk).state == "in_review"


@pytest.mark.django_db
class TestReject:
    @pytest.mark.parametrize("role", ["reviewer", "manager", "staff"])
    def test_reviewer_or_manager(self, world, review, role):
        response = client_for(getattr(world, role)).post(url(review, "reject"))
        assert response.status_code == 200
        assert ProposalReview.from_dict(response.json()).state.value == "rejected"

    @role_matrix({"anonymous": 401, "stranger": 404, "other_manager": 404, "support": 403})
    def test_refused(self, world, review, role, expected):
        assert client_for(role_user(world, role)).post(url(review, "reject")).status_code == expected

    @pytest.mark.parametrize("state", ["submitted", "rejected"])
    def test_only_in_review(self, world, state):
        review = Review.objects.create(proposal=world.proposal, reviewer=world.reviewer, state=state)
        response = client_for(world.manager).post(url(review, "reject"))
        assert (response.status_code, response.json()) == (400, {"detail": "Only reviews in review can be rejected."})


@pytest.mark.django_db
def test_admin_lists_reviews(world, review, client):
    world.staff.is_superuser = True
    world.staff.save()
    client.force_login(world.staff)
    for page in ("/admin/reviews/review/", "/admin/reviews/review/?state__exact=in_review",
                 f"/admin/reviews/review/?q={world.proposal.name}", f"/admin/reviews/review/{review.pk}/change/"):
        assert client.get(page).status_code == 200, page
