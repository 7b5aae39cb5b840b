"""My reviews and the review form (issue 12): who sees which review, Save and Submit through the
domain with the API's words beside the fields, the deadline and a submitted review read-only, and
query counts that do not grow with the reviews."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from referee.reviews.domain import DEADLINE_PASSED, ONLY_IN_REVIEW_SUBMITTED
from referee.reviews.enums import ReviewState
from referee.reviews.models import Review
from tests import factories as f
from tests.helpers import role_matrix, role_user

pytestmark = pytest.mark.django_db

FILLED = {"summary_score": "7", "summary_public_comment": "Sound plan.", "summary_private_comment": "Fund it.",
          "comment_team": "Strong team."}


def browser_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def review_of(world, reviewer=None, proposal=None, days=14):
    """A review from an accepted item of a sent batch (deadline: the later of the batch's and the round's)."""
    world.round.review_duration_in_days = days
    world.round.save()
    reviewer = reviewer or world.reviewer
    review = Review.objects.create(proposal=proposal or world.proposal, reviewer=reviewer)
    if reviewer == world.reviewer:
        f.item(f.batch(world.entry, status="sent"), review.proposal, status="accepted", review=review)
    return review


@pytest.fixture
def review(world):
    return review_of(world)


def url(review) -> str:
    return f"/reviews/{review.uuid}/"


@role_matrix({"anonymous": 302, "stranger": 404, "reviewer": 200, "other_manager": 404, "manager": 404,
              "support": 404, "staff": 404})
def test_only_its_reviewer_opens_the_review_form(world, review, role, expected):
    response = browser_for(role_user(world, role)).get(url(review))
    assert response.status_code == expected
    if role == "anonymous":
        assert response["Location"].startswith("/login/?next=")


@role_matrix({"anonymous": 302, "stranger": 404, "reviewer": 302, "other_manager": 404, "manager": 404,
              "support": 404, "staff": 404})
def test_only_its_reviewer_saves_the_review(world, review, role, expected):
    response = browser_for(role_user(world, role)).post(url(review), {**FILLED, "action": "save"})
    assert response.status_code == expected
    review.refresh_from_db()
    assert review.summary_score == (7 if role == "reviewer" else None)


@role_matrix({"stranger": 200, "reviewer": 200, "other_manager": 200, "manager": 200, "support": 200, "staff": 200})
def test_my_reviews_lists_only_the_users_own_reviews(world, review, role, expected):
    user = role_user(world, role)
    own = review if role == "reviewer" else Review.objects.create(proposal=world.proposal2, reviewer=user)
    response = browser_for(user).get("/reviews/")
    html = response.content.decode()
    assert response.status_code == expected
    assert url(own) in html and (role == "reviewer") == (url(review) in html)
    assert f"/proposals/{own.proposal.uuid}/" in html


def test_my_reviews_asks_anonymous_visitors_to_sign_in(client):
    response = client.get("/reviews/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/reviews/"


def test_my_reviews_shows_the_deadline_in_the_users_zone_with_utc_and_time_left(clock, world, review):
    review.refresh_from_db()
    html = browser_for(world.reviewer).get("/reviews/").content.decode()
    deadline = review.created + timedelta(days=14)  # later than the batch's deadline
    assert f'<time datetime="{deadline.isoformat()}" title="{deadline:%Y-%m-%d %H:%M} UTC">' in html
    assert "<strong>2\xa0weeks left</strong>" in html
    assert 'aria-current="page">My reviews' in html


def test_submitted_reviews_are_listed_below_the_open_ones(world, review):
    done = review_of(world, proposal=world.proposal2)
    Review.objects.filter(pk=done.pk).update(state=ReviewState.SUBMITTED, summary_score=9)
    html = browser_for(world.reviewer).get("/reviews/").content.decode()
    past = html.index("Submitted and closed reviews")
    assert html.index(url(review)) < past < html.index(url(done)) and "score 9" in html[past:]


def count(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_pages_read_a_constant_number_of_queries_for_1_or_20_reviews(world, review):
    client = browser_for(world.reviewer)
    count(client, "/reviews/")  # warm per-process caches
    before = count(client, "/reviews/"), count(client, url(review))
    for _ in range(19):
        proposal = f.proposal(world.round, created_by=world.applicant)
        review_of(world, proposal=proposal)
        Review.objects.create(proposal=proposal, reviewer=world.stranger)
    after = count(client, "/reviews/"), count(client, url(review))
    assert before == after
    assert Review.objects.filter(reviewer=world.reviewer).count() == 20


def test_saving_keeps_a_draft_and_comes_back_to_the_form(world, review):
    response = browser_for(world.reviewer).post(url(review), {**FILLED, "action": "save"}, follow=True)
    review.refresh_from_db()
    assert (review.state, review.summary_score, review.summary_public_comment, review.comment_team) == (
        ReviewState.IN_REVIEW, 7, "Sound plan.", "Strong team.")
    assert review.comment_project_title is None  # left empty: null, as the API leaves it
    html = response.content.decode()
    assert "Review saved." in html and 'hx-post="' in html and "Fund it." in html


def test_submitting_saves_the_fields_and_makes_the_review_read_only(world, review):
    client = browser_for(world.reviewer)
    response = client.post(url(review), {**FILLED, "coi_confirmed": "on", "action": "submit"})
    assert response.status_code == 302 and response["Location"] == url(review)
    review.refresh_from_db()
    assert (review.state, review.summary_score, review.summary_private_comment, review.comment_team) == (
        ReviewState.SUBMITTED, 7, "Fund it.", "Strong team.")
    assert review.coi_confirmed and review.coi_confirmed_at is not None
    html = client.get(url(review)).content.decode()
    assert "<form method=\"post\" action=\"/reviews/" not in html and "Strong team." in html and "Submitted" in html
    again = client.post(url(review), {**FILLED, "summary_score": "2", "action": "submit"})
    assert again.status_code == 400 and f'role="alert">{ONLY_IN_REVIEW_SUBMITTED}' in again.content.decode()
    review.refresh_from_db()
    assert review.summary_score == 7


def test_with_htmx_the_form_answers_with_its_region_and_a_status(world, review):
    response = browser_for(world.reviewer).post(url(review), {**FILLED, "action": "save"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert '<p class="message" role="status">Review saved.</p>' in html
    refused = browser_for(world.reviewer).post(url(review), {"summary_score": "11", "action": "save"},
                                               HTTP_HX_REQUEST="true")
    assert refused.status_code == 400 and "<html" not in refused.content.decode()
    assert 'id="id_summary_score-error" role="alert">' in refused.content.decode()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("summary_score", "11", "Ensure this value is less than or equal to 10."),
    ("summary_score", "0", "Ensure this value is greater than or equal to 1."),
    ("summary_score", "seven", "A valid integer is required."),
    ("comment_team", "x" * 2001, "Ensure this field has no more than 2000 characters."),
    ("summary_public_comment", "nul \x00 byte", "Null characters are not allowed."),
])
def test_bad_input_is_refused_beside_its_field_and_nothing_is_written(world, review, field, value, message):
    for action in ("save", "submit"):
        response = browser_for(world.reviewer).post(url(review), {**FILLED, field: value, "action": action})
        html = response.content.decode()
        assert response.status_code == 400
        assert f'<p class="error" id="id_{field}-error" role="alert">{message}</p>' in html
        review.refresh_from_db()
        assert (review.state, review.summary_score, review.summary_public_comment) == (ReviewState.IN_REVIEW, None, "")


def test_after_the_deadline_the_form_is_read_only_and_a_post_is_refused_in_the_domains_words(clock, world, review):
    clock.move_to(review.created + timedelta(days=14))
    client = browser_for(world.reviewer)
    html = client.get(url(review)).content.decode()
    assert DEADLINE_PASSED in html and "Save draft" not in html and "passed" in html
    for action in ("save", "submit"):
        response = client.post(url(review), {**FILLED, "action": action})
        assert response.status_code == 400 and f'role="alert">{DEADLINE_PASSED}' in response.content.decode()
    review.refresh_from_db()
    assert (review.state, review.summary_score) == (ReviewState.IN_REVIEW, None)


def test_a_support_user_reads_their_own_review_but_writes_nothing(world):
    review = Review.objects.create(proposal=world.proposal, reviewer=world.support)
    client = browser_for(world.support)
    assert "Save draft" not in client.get(url(review)).content.decode()
    response = client.post(url(review), {**FILLED, "action": "submit"})
    assert response.status_code == 403 and "Support users have read-only access." in response.content.decode()
    review.refresh_from_db()
    assert (review.state, review.summary_score) == (ReviewState.IN_REVIEW, None)
