"""My reviews and the review form in Chromium: a signed-in reviewer writes and saves, then
submits a review in place (htmx), and the API shows it submitted with the values; both pages
accessible at a phone's and a laptop's width, nothing loaded from another host."""

import pytest

from referee.reviews.models import Review
from tests import factories as f
from tests.browser import screenshots, serious_accessibility_violations, sign_in
from tests.helpers import client_for

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def check(page, name):
    screenshots(page, name)
    assert serious_accessibility_violations(page) == []


def test_writing_saving_and_submitting_a_review(live_server, page):
    reviewer, manager = f.user("rosa"), f.user("mona")
    call = f.call(managers=[manager], name="Telescope time 2027")
    round_ = f.round_(call, name="Spring round", review_duration_in_days=21)
    proposal = f.proposal(round_, created_by=f.user("alan"), name="Dark matter in dwarf galaxies")
    entry = f.pool_entry(call, f.profile(reviewer))
    review = Review.objects.create(proposal=proposal, reviewer=reviewer)
    f.item(f.batch(entry, status="sent"), proposal, status="accepted", review=review)
    sign_in(page, live_server.url, reviewer)

    page.goto(f"{live_server.url}/reviews/")
    assert page.locator("nav [aria-current=page]").inner_text() == "My reviews"
    check(page, "reviews-my-reviews")
    page.get_by_role("link", name="Dark matter in dwarf galaxies", exact=True).click()
    page.wait_for_url(f"{live_server.url}/reviews/{review.uuid}/")
    check(page, "reviews-review")

    page.get_by_label("Score (1–10)").fill("8")
    page.get_by_label("Public comment").fill("A clear, feasible plan.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("status").filter(has_text="Review saved.").wait_for()
    review.refresh_from_db()
    assert (review.state, review.summary_score, review.summary_public_comment) == ("in_review", 8, "A clear, feasible plan.")

    page.get_by_label("On the team").fill("Experienced with the instrument.")
    page.get_by_label("I have no conflict of interest").check()
    page.get_by_role("button", name="Submit review").click()
    page.get_by_role("status").filter(has_text="Review submitted.").wait_for()
    assert page.get_by_role("button", name="Submit review").count() == 0  # read-only now
    check(page, "reviews-review-submitted")

    body = client_for(reviewer).get(f"/api/proposal-reviews/{review.uuid.hex}/").json()
    assert (body["state"], body["summary_score"], body["summary_public_comment"], body["comment_team"],
            body["coi_confirmed"]) == ("submitted", 8, "A clear, feasible plan.", "Experienced with the instrument.", True)
    assert page.outside == [] and page.errors == []
