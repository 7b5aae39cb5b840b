"""My assignments in Chromium against a live server: answer one item and decline another in
place, then the API shows what the page did; both pages accessible at a phone's and a laptop's
width, nothing loaded from another host."""

import pytest

from tests import factories as f
from tests.browser import screenshots, serious_accessibility_violations, sign_in
from tests.helpers import client_for, outbox

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_accepting_and_declining_in_place(live_server, page):
    manager, reviewer = f.user("mia"), f.user("rev", first_name="Rea", last_name="Viewer")
    call = f.call(managers=[manager], name="Deep-sea imaging 2026")
    call.coi_config.invitation_proposal_disclosure = "titles_and_summaries"
    call.coi_config.save()
    round_ = f.round_(call)
    first = f.proposal(round_, name="Sonar arrays at depth", project_summary="Arrays of sonar buoys.")
    second = f.proposal(round_, name="Bioluminescence census", project_summary="Counting what glows.")
    batch = f.batch(f.pool_entry(call, f.profile(reviewer)), status="sent", created_by=manager,
                    manager_notes="Two proposals close to your work.")
    accepted, declined = f.item(batch, first, affinity_score=0.8), f.item(batch, second, affinity_score=0.6)

    sign_in(page, live_server.url, reviewer)
    page.goto(f"{live_server.url}/reviews/assignments/")
    assert page.locator("h1").inner_text() == "My assignments"
    screenshots(page, "assignments-my-assignments")
    assert serious_accessibility_violations(page) == []

    page.get_by_role("button", name="Accept Sonar arrays at depth").focus()  # keyboard alone from here
    page.keyboard.press("Enter")
    page.get_by_text("Assignment accepted. Review created.").wait_for()
    page.get_by_label("Why you decline").focus()
    page.keyboard.type("Outside my field.")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Decline Bioluminescence census"
    page.keyboard.press("Enter")
    page.get_by_text("Assignment declined.").wait_for()
    assert page.get_by_text("Your reason: Outside my field.").is_visible()
    assert page.url == f"{live_server.url}/reviews/assignments/"  # answered in place
    screenshots(page, "assignments-my-assignments-answered")
    assert serious_accessibility_violations(page) == []

    items = {row["uuid"]: row for row in client_for(reviewer).get(
        f"/api/my-assignment-batches/{batch.uuid.hex}/").json()["items"]}
    assert items[accepted.uuid.hex]["status"] == "accepted" and items[accepted.uuid.hex]["review_uuid"]
    assert items[declined.uuid.hex]["status"] == "declined"
    assert client_for(manager).get(f"/api/assignment-items/{declined.uuid.hex}/").json()["decline_reason"] == \
        "Outside my field."
    notices = outbox("assignment_declined")
    assert len(notices) == 1 and notices[0].to == [manager.email]

    page.get_by_role("link", name="Read the proposal").click()
    page.wait_for_url(f"{live_server.url}/proposals/{first.uuid}/")
    assert page.locator("h1").inner_text() == "Sonar arrays at depth"
    screenshots(page, "assignments-proposal")
    assert serious_accessibility_violations(page) == []
    assert page.outside == [] and page.errors == []
