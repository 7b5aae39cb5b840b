"""A randomized preview in Chromium against a live server (issue 14): the seed, the cap and the
expected total, each drawn pair's chance, and the diversity rules' summary (each rule and how many
proposals meet it); accessible, nothing from another host."""

import pytest

from referee.calls.models import MatchingConfiguration
from tests.browser import screenshots, serious_accessibility_violations, sign_in
from tests.web.console.test_assignments_browser import generate, round_ready

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_a_randomized_preview_shows_its_draw(live_server, page):
    manager, call, proposals, entries = round_ready()
    MatchingConfiguration.objects.filter(call=call).update(max_assignment_probability=0.5,
                                                           max_reviewers_per_institution=1)
    sign_in(page, live_server.url, manager)
    generate(page, live_server, call, algorithm="minmax")
    assert page.get_by_text("no pair above a 50 % chance").is_visible()
    page.get_by_role("columnheader", name="Chance drawn").wait_for()
    assert page.locator("#preview-pairs td.number", has_text="50 %").count() == 3  # one reviewer each, drawn at even odds
    rule = page.locator("#diversity-rules tbody tr")
    assert rule.inner_text().split("\t") == ["At most 1 reviewer per institution", "3 of 3"]
    screenshots(page, "console-assignments-randomized")
    assert serious_accessibility_violations(page) == []
