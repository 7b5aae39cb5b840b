"""The Matching tab in Chromium against a live server: change a configuration field (and see a
bad one refused beside it), compute affinities and see the heatmap, detect conflicts and watch
the progress bar reach the end, dismiss a conflict; accessible, nothing from another host, at a
phone's and a laptop's width."""

import pytest

from referee.calls.models import MatchingConfiguration
from referee.conflicts.models import COIDetectionJob, ConflictOfInterest
from tests import factories as f
from tests.browser import screenshots, serious_accessibility_violations, sign_in

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

TOPICS = {
    "Pulsar timing arrays": "pulsar timing radio telescope gravitational waves",
    "Radio galaxy jets": "radio galaxy jets active nuclei interferometry",
    "Coral reef acidification": "coral reef ocean acidification marine ecology",
    "Kelp forest recovery": "kelp forest marine ecology urchins",
}
REVIEWERS = {"Ada": "pulsar timing radio astronomy", "Bruno": "marine ecology coral reefs",
             "Chen": "radio interferometry galaxies"}


def assert_clean(page):
    assert serious_accessibility_violations(page) == []
    assert page.outside == [] and page.errors == []


def a_call_with_topics():
    manager = f.user("mara", first_name="Mara", last_name="Manager")
    call = f.call(managers=[manager], name="Telescope and sea 2026")
    rnd = f.round_(call)
    proposals = {name: f.proposal(rnd, name=name, project_summary=text, description=text)
                 for name, text in TOPICS.items()}
    for first, keywords in REVIEWERS.items():
        profile = f.profile(f.user(first.lower(), first_name=first, last_name="Reviewer"), biography=keywords)
        for keyword in keywords.split():
            profile.expertise_set.create(expertise_keyword=keyword)
        f.pool_entry(call, profile)
        if first == "Ada":  # named in a proposal's team: detection finds it
            proposals["Radio galaxy jets"].team.add(profile.user)
    return manager, call


def test_configuring_computing_and_detecting_on_the_matching_tab(live_server, page):
    manager, call = a_call_with_topics()
    sign_in(page, live_server.url, manager)
    page.goto(f"{live_server.url}/call/{call.uuid}/manage/?tab=matching")
    assert page.get_by_role("link", name="Matching", exact=True).get_attribute("aria-current") == "page"
    screenshots(page, "console-matching")
    assert_clean(page)

    # A configuration field, refused then saved, in place.
    weight = page.get_by_label("Keyword weight")
    weight.fill("1.5")
    page.get_by_role("button", name="Save the matching configuration").click()
    page.locator("#id_keyword_weight-error").wait_for()
    assert page.locator("#id_keyword_weight-error").inner_text() == "Ensure this value is less than or equal to 1."
    assert MatchingConfiguration.objects.get(call=call).keyword_weight == 0.4
    assert page.errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
    page.errors.clear()  # the refusal's status, as expected
    page.get_by_label("Keyword weight").fill("0.5")
    page.get_by_label("Text weight").fill("0.5")
    page.get_by_label("Max reviewers per proposal").fill("2")
    page.get_by_label("Min reviewers per proposal").fill("1")
    page.get_by_role("button", name="Save the matching configuration").click()
    page.get_by_text("Matching configuration saved.").wait_for()
    config = MatchingConfiguration.objects.get(call=call)
    assert (config.keyword_weight, config.max_reviewers_per_proposal) == (0.5, 2)

    # Affinities, then their heatmap and each proposal's best reviewers.
    page.get_by_role("button", name="Compute affinities").click()
    page.get_by_text("Computation of affinities started.").wait_for()
    assert page.locator("#affinity-progress .job-state").inner_text() == "Completed"  # the worker ran it at once
    heatmap = page.locator("#affinity-heatmap")
    assert "Affinity of 4 proposals × 3 reviewers" in heatmap.locator("figcaption").inner_text()
    assert heatmap.locator("rect").count() == 12
    best = page.locator("#affinities table.console-table tbody tr")
    firsts = {best.nth(i).locator("th").inner_text(): best.nth(i).locator("li").first.inner_text() for i in range(4)}
    assert firsts["Coral reef acidification"].startswith("Bruno Reviewer")
    assert firsts["Pulsar timing arrays"].startswith("Ada Reviewer")
    page.locator("#affinities").scroll_into_view_if_needed()
    screenshots(page, "console-matching-heatmap")
    assert_clean(page)

    # Detection: here the task runs as the request commits, so it has ended when the bar shows.
    page.get_by_role("button", name="Detect conflicts").click()
    page.get_by_text("Conflict detection started.").wait_for()
    progress = page.locator("#detection-progress")
    assert progress.locator(".job-state").inner_text() == "Completed"
    assert progress.locator("progress").get_attribute("value") == progress.locator("progress").get_attribute("max") == "12"
    assert "12 of 12 pairs checked (100.0%); 1 conflict found." in progress.inner_text()
    assert progress.get_attribute("hx-trigger") is None

    # A job a worker runs: the bar follows the job row each second until it ends, then stops polling.
    job = COIDetectionJob.objects.create(call=call, created_by=manager)
    page.reload()
    progress = page.locator("#detection-progress")
    assert progress.get_attribute("hx-trigger") == "every 1s"
    COIDetectionJob.objects.filter(pk=job.pk).update(state="running", total_pairs=12, processed_pairs=5)
    page.get_by_text("5 of 12 pairs checked").wait_for()
    assert page.locator("#detection-bar").get_attribute("value") == "5"
    screenshots(page, "console-matching-detecting")
    COIDetectionJob.objects.filter(pk=job.pk).update(state="completed", processed_pairs=12)
    page.get_by_text("12 of 12 pairs checked").wait_for()
    assert page.locator("#detection-progress .job-state").inner_text() == "Completed"
    assert page.locator("#detection-progress").get_attribute("hx-trigger") is None
    assert_clean(page)

    # The conflict found, dismissed in place.
    page.get_by_role("link", name="See the conflicts").click()
    row = page.locator("table.conflicts tbody tr").filter(has_text="Radio galaxy jets")
    assert "Pending review" in row.inner_text()
    row.locator("summary").click()
    row.get_by_label("Notes").fill("Ada left that team years ago.")
    row.get_by_role("button", name="Dismiss").click()
    page.get_by_text("Conflict dismissed.").wait_for()
    row = page.locator("table.conflicts tbody tr").filter(has_text="Radio galaxy jets")
    assert "Dismissed" in row.inner_text() and "by Mara Manager" in row.inner_text()
    conflict = ConflictOfInterest.objects.get(call=call)
    assert (conflict.status, conflict.review_notes) == ("dismissed", "Ada left that team years ago.")
    page.locator("#conflicts").scroll_into_view_if_needed()
    screenshots(page, "console-matching-conflicts")
    assert_clean(page)


def test_cancelling_a_running_detection_from_its_progress_bar(live_server, page):
    manager, call = a_call_with_topics()
    job = COIDetectionJob.objects.create(call=call, created_by=manager, state="running", total_pairs=12,
                                         processed_pairs=3)
    sign_in(page, live_server.url, manager)
    page.goto(f"{live_server.url}/call/{call.uuid}/manage/?tab=matching#detection")
    page.get_by_text("3 of 12 pairs checked").wait_for()
    page.get_by_role("button", name="Cancel detection").click()
    page.locator("#detection-progress .job-state").get_by_text("Cancelled").wait_for()
    assert "after 3 of 12 reviewer × proposal pairs were checked" in page.locator("#detection-progress").inner_text()
    assert page.locator("#detection-progress").get_attribute("hx-trigger") is None
    assert page.get_by_role("button", name="Cancel detection").count() == 0
    job.refresh_from_db()
    assert job.state == "cancelled"
    page.locator("#detection").scroll_into_view_if_needed()
    screenshots(page, "console-matching-cancelled")
    assert_clean(page)
