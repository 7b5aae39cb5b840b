"""The Assignments tab in Chromium against a live server (issue 13): generate a preview, read a
pair's explanation, swap pairs found by name (a conflicted swap refused in words), the plots
following the edit, deploy, send all; the undo of a fresh generation and of an earlier one after a
top-up; a running job's progress polled, cancelled, and its completion
reloading the panel. Accessible at a phone's and a laptop's width, nothing from another host."""

import pytest
from django.utils import timezone

from referee.assignments.comparison import STEPS, compare_algorithms
from referee.assignments.models import AssignmentBatch, AssignmentItem, MatchingJob
from referee.calls.models import MatchingConfiguration
from referee.reviewers.models import ReviewerBid
from tests import factories as f
from tests.browser import screenshots, serious_accessibility_violations, sign_in
from tests.engine.test_generation import set_scores
from tests.web.console.helpers import tab_url
from tests.web.test_profile_browser import expect_refusal_logged

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

# Three proposals, three reviewers, one reviewer each: the best pairs are on the diagonal.
SCORES = [[0.9, 0.3, 0.4], [0.3, 0.85, 0.35], [0.45, 0.3, 0.8]]


def round_ready():
    manager = f.user("mia", first_name="Mia", last_name="Manager")
    call = f.call(managers=[manager], name="Ocean sensing 2026")
    MatchingConfiguration.objects.filter(call=call).update(
        min_reviewers_per_proposal=1, max_reviewers_per_proposal=2, min_proposals_per_reviewer=0,
        max_proposals_per_reviewer=2, min_affinity_threshold=0.2)
    round_ = f.round_(call)
    applicant = f.user("app")
    proposals = [f.proposal(round_, name=name, created_by=applicant)
                 for name in ("Acoustic buoys", "Benthic drones", "Coral spectra")]
    entries = [f.pool_entry(call, f.profile(f.user(username, first_name=first, last_name="Reviewer")))
               for username, first in (("ada", "Ada"), ("ben", "Ben"), ("cyd", "Cyd"))]
    set_scores(call, proposals, entries, SCORES)
    return manager, call, proposals, entries


def generate(page, live_server, call, algorithm="fairflow"):
    page.goto(live_server.url + tab_url(call, "assignments"))
    page.get_by_label("Algorithm").select_option(algorithm)
    page.get_by_role("button", name="Generate preview").click()
    # A background job: its worker runs it at once here, so the preview is there when the panel redraws.
    page.get_by_text("Preview ready: nothing is sent until you deploy it.").wait_for()
    page.locator("#generation-progress .job-state", has_text="Completed").wait_for()


def test_generate_explain_swap_deploy_and_send(live_server, page):
    manager, call, proposals, entries = round_ready()
    ReviewerBid.objects.create(reviewer=entries[0].reviewer, proposal=proposals[0], bid=ReviewerBid.Bid.EAGER)
    f.conflict(entries[1].reviewer, proposals[0])  # Ben may not review Acoustic buoys
    sign_in(page, live_server.url, manager)
    generate(page, live_server, call)

    page.get_by_text("Affinity 0.90 (1 = the proposal's best-fitting reviewer").click()  # open the pair's why
    assert page.get_by_text("they bid “eager”").first.is_visible()
    assert page.get_by_text("Best-matching publication").first.is_visible()
    screenshots(page, "console-assignments")
    assert serious_accessibility_violations(page) == []

    page.get_by_role("button", name="Compare the three algorithms on this call").click()
    page.locator("#algorithm-comparison").wait_for()
    assert page.locator("#algorithm-comparison tbody tr").count() == 3
    assert page.locator("#comparison-progress .job-state").inner_text() == "Completed"
    assert page.get_by_text("was solved on the same inputs as this comparison").is_visible()
    screenshots(page, "console-assignments-comparison")

    # The second pair is found by a name anywhere in the preview (the pairs fragment, as one types).
    swap = page.locator("[aria-labelledby=swap-title]")
    swap.get_by_label("First pair").select_option(label="Acoustic buoys — Ada Reviewer")
    swap.get_by_label("Find the second pair by proposal or reviewer name").fill("ben")
    page.get_by_text("Second pair: 1 pair of the preview match “ben”").wait_for()
    swap.get_by_label("Benthic drones — Ben Reviewer").check()
    swap.get_by_role("button", name="Swap", exact=True).click()
    refusal = page.get_by_text("Reviewer has a blocking conflict of interest with this proposal")
    refusal.wait_for()
    assert "Ben Reviewer for Acoustic buoys" in refusal.inner_text()
    expect_refusal_logged(page)  # the refusal's answer is a 400, by design
    # The refused form keeps its search: the pair found is still offered.
    assert swap.get_by_label("Benthic drones — Ben Reviewer").is_checked()
    screenshots(page, "console-assignments-swap-refused")

    swap.get_by_label("First pair").select_option(label="Acoustic buoys — Ada Reviewer")
    swap.get_by_label("Find the second pair by proposal or reviewer name").fill("coral")
    swap.get_by_label("Coral spectra — Cyd Reviewer").check()
    swap.get_by_role("button", name="Swap", exact=True).click()
    page.get_by_text("Reviewers swapped.").wait_for()
    # The plots follow the edit: Acoustic buoys now has Cyd (0.4).
    totals = page.locator("#preview-totals table")
    assert totals.locator("tr", has_text="Acoustic buoys").locator("td").text_content() == "0.400"  # in a closed <details>

    page.get_by_role("button", name="Deploy to draft batches").click()
    page.get_by_text("Deployed: 3 draft items, 3 new draft batches.").wait_for()
    made = {(i.proposal.name, i.pool_entry.reviewer.user.first_name)
            for i in AssignmentItem.objects.filter(batch__call=call).select_related("proposal", "pool_entry__reviewer__user")}
    assert made == {("Acoustic buoys", "Cyd"), ("Benthic drones", "Ben"), ("Coral spectra", "Ada")}
    screenshots(page, "console-assignments-deployed")

    page.get_by_role("button", name="Send all draft batches").click()
    page.get_by_text("Sent 3 batches.").wait_for()
    assert list(AssignmentBatch.objects.filter(call=call).values_list("status", flat=True)) == ["sent"] * 3
    assert serious_accessibility_violations(page) == []
    assert page.outside == [] and page.errors == []


def test_undo_of_a_fresh_generation_and_of_an_earlier_one_after_a_top_up(live_server, page):
    manager, call, proposals, entries = round_ready()
    sign_in(page, live_server.url, manager)
    generate(page, live_server, call, algorithm="minmax")
    page.get_by_role("button", name="Deploy to draft batches").click()
    page.get_by_text("Deployed: 3 draft items").wait_for()
    page.get_by_role("button", name="Undo this generation").click()
    page.get_by_text("Undone: 3 draft items withdrawn, 3 draft batches deleted.").wait_for()
    page.get_by_text("The preview is back and can be edited or deployed again.").wait_for()
    assert not AssignmentBatch.objects.filter(call=call).exists()
    assert page.get_by_role("button", name="Deploy to draft batches").is_visible()  # the preview is back
    screenshots(page, "console-assignments-undone")

    # A deployed, then B (a top-up for a new proposal) deployed: A is undone from the list, B stays.
    page.get_by_role("button", name="Deploy to draft batches").click()
    page.get_by_text("Deployed: 3 draft items").wait_for()
    newcomer = f.proposal(proposals[0].round, name="Deep vents", created_by=proposals[0].created_by)
    set_scores(call, [*proposals, newcomer], entries, [*SCORES, [0.5, 0.6, 0.7]])
    generate(page, live_server, call, algorithm="minmax")
    page.get_by_role("button", name="Deploy to draft batches").click()
    page.get_by_text("Deployed: 1 draft item,").wait_for()
    rows = page.locator("#deployed-generations tbody tr")
    assert rows.count() == 3  # the undone one, A, B: latest first
    assert rows.nth(0).locator("td.number").all_inner_texts() == ["1", "0"]
    assert rows.nth(1).locator("td.number").all_inner_texts() == ["3", "0"]
    screenshots(page, "console-assignments-generations")
    rows.nth(1).get_by_role("button", name="Undo this generation").click()
    page.get_by_text("Undone: 3 draft items withdrawn").wait_for()
    (left,) = AssignmentItem.objects.filter(batch__call=call)
    assert left.proposal == newcomer
    assert page.locator("#deployed-generations tbody tr").nth(1).get_by_text("Undone").is_visible()
    assert serious_accessibility_violations(page) == []
    assert page.outside == [] and page.errors == []


def test_a_running_jobs_progress_is_polled_cancelled_and_its_completion_reloads_the_panel(live_server, page):
    manager, call, _, _ = round_ready()
    result = compare_algorithms(call)  # what the worker will have written (no progress: nothing stored)
    comparison = MatchingJob.objects.create(call=call, kind="comparison", state="running", processed=1, total=STEPS,
                                            stage="Solving with minmax", created_by=manager)
    generation = MatchingJob.objects.create(call=call, kind="generation", state="running", total=2,
                                            stage="Bringing the affinity scores up to date", created_by=manager)
    sign_in(page, live_server.url, manager)
    page.goto(live_server.url + tab_url(call, "assignments"))
    page.get_by_text("Solving with minmax").wait_for()
    assert page.locator("#comparison-progress progress").get_attribute("value") == "1"
    screenshots(page, "console-assignments-job-running")
    assert serious_accessibility_violations(page) == []

    page.get_by_role("button", name="Cancel the preview generation").click()
    page.locator("#generation-progress .job-state", has_text="Cancelled").wait_for()
    generation.refresh_from_db()
    assert generation.state == "cancelled"

    MatchingJob.objects.filter(pk=comparison.pk).update(state="completed", processed=STEPS, stage="", result=result,
                                                        completed_at=timezone.now())
    page.locator("#algorithm-comparison").wait_for()  # the next poll saw it completed: the panel reloaded
    assert page.locator("#comparison-progress .job-state").inner_text() == "Completed"
    assert page.locator("#algorithm-comparison tbody tr").count() == 3
    assert page.outside == [] and page.errors == []
