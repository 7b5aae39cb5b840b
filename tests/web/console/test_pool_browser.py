"""The Pool tab in Chromium against a live server: find a reviewer by keyword and invite them,
invite another by e-mail, then force-accept one (refused without a reason, then with one);
accessible, nothing from another host."""

import pytest

from referee.reviewers.models import CallReviewerPool, ReviewerExpertise
from tests import factories as f
from tests.browser import screenshots, serious_accessibility_violations, sign_in
from tests.web.console.helpers import tab_url

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


# What Chromium logs for a refusal's answer (400 by design): the one console error expected.
REFUSED = "Failed to load resource: the server responded with a status of 400 (Bad Request)"


def expect_refusal_logged(page):
    assert page.errors == [REFUSED]
    page.errors.clear()


def assert_clean(page):
    assert serious_accessibility_violations(page) == []
    assert page.outside == [] and page.errors == []


def test_inviting_by_search_and_by_email_then_force_accepting_with_a_reason(live_server, page):
    manager = f.user("mara")
    call = f.call(managers=[manager], name="Telescope time 2026")
    accepted = f.pool_entry(call, f.profile(f.user("ada", first_name="Ada", last_name="Lovelace")), max_assignments=2)
    f.item(f.batch(accepted), f.proposal(f.round_(call)))
    grace = f.profile(f.user("grace", first_name="Grace", last_name="Hopper"), is_published=True)
    ReviewerExpertise.objects.create(profile=grace, expertise_keyword="Radio astronomy")
    alan = f.profile(f.user("alan", first_name="Alan", last_name="Turing"))  # unpublished: invited by address
    sign_in(page, live_server.url, manager)

    page.goto(live_server.url + tab_url(call, "pool"))
    page.evaluate("window.stayed = true")  # gone if a form reloads the whole page
    page.get_by_label("Keyword").fill("radio")
    page.get_by_role("button", name="Search").click()
    page.locator("#search-results").wait_for()
    screenshots(page, "console-pool-search")
    assert_clean(page)
    page.get_by_role("button", name="Invite Grace Hopper").click()
    page.get_by_text("Grace Hopper is invited.").wait_for()
    assert CallReviewerPool.objects.get(call=call, reviewer=grace).invitation_status == "pending"

    page.get_by_label("E-mail address").fill("nobody@example.org")
    page.locator("#email-form").get_by_role("button", name="Invite").click()
    page.get_by_text("No reviewer profile belongs to this e-mail address").wait_for()
    expect_refusal_logged(page)
    page.get_by_label("E-mail address").fill("ALAN@example.org")
    page.locator("#email-form").get_by_role("button", name="Invite").click()
    page.get_by_text("Alan Turing (ALAN@example.org) is invited.").wait_for()
    entry = CallReviewerPool.objects.get(call=call, reviewer=alan)

    row = page.locator(f"#entry-{entry.uuid}")
    row.get_by_role("button", name="Force-accept Alan Turing").click()
    page.get_by_text("A reason is required to accept on the reviewer's behalf.").wait_for()
    expect_refusal_logged(page)
    entry.refresh_from_db()
    assert entry.invitation_status == "pending"
    row = page.locator(f"#entry-{entry.uuid}")
    row.get_by_label("Reason").fill("Agreed on the phone")
    row.get_by_role("button", name="Force-accept Alan Turing").click()
    page.get_by_text("Alan Turing is accepted into the pool on your authority.").wait_for()
    entry.refresh_from_db()
    assert (entry.invitation_status, entry.override_reason) == ("accepted", "Agreed on the phone")
    assert page.locator(f"#entry-{accepted.uuid} meter").get_attribute("value") == "1"
    assert page.evaluate("window.stayed") is True  # every answer was swapped in place by htmx
    screenshots(page, "console-pool")
    assert_clean(page)
