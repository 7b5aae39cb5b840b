"""My profile in Chromium against a live server: the biography, a keyword and a publication
changed in place (htmx), a refusal shown beside its field, the API then showing the changes;
accessible, nothing from another host, at a phone's and a laptop's width."""

import pytest

from tests import factories as f
from tests.browser import screenshots, serious_accessibility_violations, sign_in
from tests.helpers import client_for

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

# What Chromium logs for the refusal's answer (400 by design): the one console error expected.
REFUSED = "Failed to load resource: the server responded with a status of 400 (Bad Request)"


def expect_refusal_logged(page):
    assert page.errors == [REFUSED]
    page.errors.clear()


def test_editing_my_profile_in_place(live_server, page):
    user = f.user("rita")
    f.profile(user, biography="Plasma physicist.")
    sign_in(page, live_server.url, user)
    page.goto(f"{live_server.url}/profile/")
    screenshots(page, "profile-page")
    assert serious_accessibility_violations(page) == []

    page.fill("#id_biography", "Plasma physicist; reviews fusion proposals.")
    page.locator("#about button[type=submit]").click()
    page.locator("#about .status", has_text="Profile saved.").wait_for()

    page.fill("#id_expertise-new-expertise_keyword", "Tokamaks")
    page.select_option("#id_expertise-new-proficiency_level", "expert")
    page.get_by_role("button", name="Add keyword").click()
    page.locator("#expertise .status", has_text="Keyword added.").wait_for()
    page.fill("#id_expertise-new-expertise_keyword", "tokamaks")
    page.get_by_role("button", name="Add keyword").click()
    refusal = page.locator("#id_expertise-new-expertise_keyword-error")
    refusal.wait_for()
    assert refusal.inner_text() == "This expertise keyword is already in your profile."
    expect_refusal_logged(page)
    page.wait_for_function("document.activeElement.id === 'id_expertise-new-expertise_keyword'")  # back to the field
    screenshots(page, "profile-refused")

    page.fill("#id_publications-new-title", "Edge turbulence in small tokamaks")
    page.fill("#id_publications-new-publication_year", "2023")
    page.get_by_role("button", name="Add publication").click()
    page.locator("#publications .status", has_text="Publication added.").wait_for()
    page.get_by_role("button", name="Exclude from matching Edge turbulence in small tokamaks").click()
    page.locator("#publications .badge", has_text="Left out of matching").wait_for()
    page.wait_for_function("document.activeElement.id.startsWith('exclude-')")  # focus stays on the toggle
    page.get_by_role("link", name="Edit Tokamaks").click()
    page.locator("#expertise legend", has_text="Edit keyword").wait_for()
    page.wait_for_function("(document.activeElement.name || '').endsWith('-expertise_keyword')")  # focus follows the swap
    screenshots(page, "profile-editing")
    assert serious_accessibility_violations(page) == []
    assert page.url == f"{live_server.url}/profile/"  # every change in place, no reload

    me = client_for(user).get("/api/reviewer-profiles/me/").json()
    assert me["biography"] == "Plasma physicist; reviews fusion proposals."
    assert [(e["expertise_keyword"], e["proficiency_level"]) for e in me["expertise_set"]] == [("Tokamaks", "expert")]
    assert [(p["title"], p["publication_year"], p["is_excluded_from_matching"]) for p in me["publications"]] == [
        ("Edge turbulence in small tokamaks", 2023, True)]
    assert page.outside == [] and page.errors == []


def test_creating_my_profile(live_server, page):
    user = f.user("noor")
    sign_in(page, live_server.url, user)
    page.goto(f"{live_server.url}/profile/")
    screenshots(page, "profile-new")
    assert serious_accessibility_violations(page) == []
    page.fill("#id_orcid_id", "0000-0002-1825-009")
    page.get_by_role("button", name="Create my profile").click()
    assert page.locator("#id_orcid_id-error").inner_text() == (
        "ORCID must be in format 0000-0000-0000-0000 (last character can be X)")
    expect_refusal_logged(page)
    page.fill("#id_orcid_id", "0000-0002-1825-0097")
    page.get_by_role("button", name="Create my profile").click()
    page.locator("h2", has_text="Publications").wait_for()
    assert client_for(user).get("/api/reviewer-profiles/me/").json()["orcid_id"] == "0000-0002-1825-0097"
    assert page.outside == [] and page.errors == []
