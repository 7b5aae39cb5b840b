"""A whole review round in Chromium against a live server (issue 13, "How it is checked"): the
manager invites two reviewers (one found by search, one by e-mail), both accept through the
reviewer pages (one declaring a conflict), the manager computes affinities, detects conflicts,
generates a preview, reads why a pair was chosen, has a conflicted swap refused in words, swaps
validly, deploys and sends; a reviewer accepts their items and the Batches tab shows the batch
answered. Then a manager of another call and a reviewer of this one open every tab: 404 / 403
pages naming nothing of the call.

Long work (affinities, detection, generation) may run as a job: Celery runs it eagerly when the
request commits here, so each step waits for what the manager then sees, not for an answer."""

import pytest

from referee.assignments.models import AssignmentBatch
from referee.calls.models import MatchingConfiguration
from referee.conflicts.models import ConflictOfInterest
from referee.reviewers.models import CallReviewerPool, ReviewerExpertise, ReviewerPublication
from referee.web.console import tabs
from tests import factories as f
from tests.browser import screenshots, serious_accessibility_violations, sign_in
from tests.web.console.helpers import tab_url
from tests.web.console.test_pool_browser import expect_refusal_logged

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

FIELD = " Long-term field observations with open data."  # a few words every text shares
PROPOSALS = {
    "Pulsar timing arrays": "Pulsar timing with radio telescopes to detect gravitational waves.",
    "Radio galaxy jets": "Radio astronomy of galaxy jets and active nuclei by interferometry.",
    "Coral reef acidification": "Coral reefs under ocean acidification: marine ecology of the reef.",
    "Kelp forest recovery": "Kelp forest recovery after urchin grazing: marine ecology of the coast.",
}
# name → (username, keywords, a publication): Ada is found by search, Alan by his address.
REVIEWERS = {
    "Ada Lovelace": ("ada", ("radio astronomy", "pulsar timing", "interferometry"),
                     "Interferometry of radio galaxy jets" + FIELD),
    "Alan Turing": ("alan", ("marine ecology", "coral reefs", "kelp"),
                    "Marine ecology of coral reefs under acidification" + FIELD),
}
SECRETS = [*PROPOSALS, *REVIEWERS]  # what a stranger to the call must not read


def a_call_and_two_profiles():
    manager = f.user("mara", first_name="Mara", last_name="Manager")
    call = f.call(managers=[manager], name="Sky and sea 2026")
    call.coi_config.invitation_proposal_disclosure = "titles_and_summaries"  # conflicts declared at invitation
    call.coi_config.save()
    MatchingConfiguration.objects.filter(call=call).update(
        min_reviewers_per_proposal=1, max_reviewers_per_proposal=1, min_proposals_per_reviewer=0,
        max_proposals_per_reviewer=2, min_affinity_threshold=0.0)
    rnd = f.round_(call)
    for name, text in PROPOSALS.items():
        f.proposal(rnd, name=name, project_summary=text, description=text + FIELD)
    profiles = {}
    for name, (username, keywords, title) in REVIEWERS.items():
        first, last = name.split()
        profile = f.profile(f.user(username, first_name=first, last_name=last), is_published=username == "ada",
                            biography=", ".join(keywords) + "." + FIELD)
        for keyword in keywords:
            ReviewerExpertise.objects.create(profile=profile, expertise_keyword=keyword)
        ReviewerPublication.objects.create(profile=profile, title=title, publication_year=2021)
        profiles[name] = profile
    return manager, call, profiles


def as_user(page, live_server, user):
    page.context.clear_cookies()
    sign_in(page, live_server.url, user)


def invite_both(page, live_server, call):
    page.goto(live_server.url + tab_url(call, "pool"))
    page.get_by_label("Keyword").fill("pulsar")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name="Invite Ada Lovelace").click()
    page.get_by_text("Ada Lovelace is invited.").wait_for()
    page.get_by_label("E-mail address").fill("alan@example.org")
    page.locator("#email-form").get_by_role("button", name="Invite").click()
    page.get_by_text("Alan Turing (alan@example.org) is invited.").wait_for()
    screenshots(page, "round-pool-invited")


def accept_invitation(page, live_server, entry, conflict_with=None):
    as_user(page, live_server, entry.reviewer.user)
    page.goto(f"{live_server.url}/reviewer-invitation/{entry.invitation_token}/")
    if conflict_with:
        page.get_by_label(f"I have a conflict with {conflict_with.name}").check()
        page.locator(f"#id_coi_type-{conflict_with.uuid.hex}").select_option("INST_SAME")
        page.locator(f"#id_description-{conflict_with.uuid.hex}").fill("Same department as the applicants")
    page.get_by_role("button", name="Accept the invitation").click()
    page.get_by_text("Invitation accepted successfully.").wait_for()


def pairs_on_the_page(page) -> dict[str, str]:
    """proposal → reviewer of each proposed pair, as the swap form offers them."""
    options = page.locator("[aria-labelledby=swap-title]").get_by_label("First pair").locator("option")
    return dict(text.split(" — ") for text in options.all_inner_texts() if " — " in text)


def swap(page, first: str, second: str):
    """The first pair from the page's select, the second found by its proposal's name."""
    swap = page.locator("[aria-labelledby=swap-title]")
    swap.get_by_label("First pair").select_option(label=first)
    swap.get_by_label("Find the second pair by proposal or reviewer name").fill(second.split(" — ")[0])
    swap.get_by_label(second).check()
    swap.get_by_role("button", name="Swap", exact=True).click()


def test_a_whole_round_then_nothing_for_strangers(live_server, page):
    manager, call, profiles = a_call_and_two_profiles()
    pulsar = call.proposals.get(name="Pulsar timing arrays")
    sign_in(page, live_server.url, manager)
    invite_both(page, live_server, call)
    ada, alan = (CallReviewerPool.objects.get(call=call, reviewer=profiles[name]) for name in REVIEWERS)
    assert (ada.invitation_status, alan.invitation_status) == ("pending", "pending")

    # Both accept through the reviewer pages; Ada declares a conflict with the pulsar proposal.
    accept_invitation(page, live_server, ada, conflict_with=pulsar)
    screenshots(page, "round-invitation-accepted")
    accept_invitation(page, live_server, alan)
    assert set(CallReviewerPool.objects.filter(call=call).values_list("invitation_status", flat=True)) == {"accepted"}
    assert ConflictOfInterest.objects.filter(call=call, reviewer=profiles["Ada Lovelace"], proposal=pulsar).exists()

    # Matching: affinities, then conflict detection to its end.
    as_user(page, live_server, manager)
    page.goto(live_server.url + tab_url(call, "matching"))
    page.get_by_role("button", name="Compute affinities").click()
    page.get_by_text("Last computed").wait_for()
    page.locator("#affinity-heatmap").wait_for()
    assert "4 proposals × 2 reviewers" in page.locator("#affinity-heatmap figcaption").inner_text()
    page.get_by_role("button", name="Detect conflicts").click()
    page.locator("#detection-progress .job-state").get_by_text("Completed").wait_for()
    bar = page.locator("#detection-progress progress")
    assert bar.get_attribute("value") == bar.get_attribute("max") == "8"
    screenshots(page, "round-matching")
    assert serious_accessibility_violations(page) == []

    # Assignments: a preview, the why of Ada's pair, a conflicted swap refused, a valid one.
    page.goto(live_server.url + tab_url(call, "assignments"))
    page.get_by_role("button", name="Generate preview").click()
    page.locator("#preview-title").get_by_text("Preview").wait_for()
    pairs = pairs_on_the_page(page)
    assert len(pairs) == 4 and pairs["Pulsar timing arrays"] == "Alan Turing"  # Ada's conflict respected
    assert pairs["Radio galaxy jets"] == "Ada Lovelace"  # the closest to her work
    ada_other, = (p for p, who in pairs.items() if who == "Ada Lovelace" and p != "Radio galaxy jets")
    alan_other, = (p for p, who in pairs.items() if who == "Alan Turing" and p != "Pulsar timing arrays")
    row = page.locator("#preview-pairs tbody tr").filter(has=page.locator("th", has_text="Radio galaxy jets"))
    row.locator("summary").click()
    facts = row.locator("dl.facts").inner_text()
    assert "radio astronomy" in facts and "interferometry" in facts  # her keywords found in the proposal
    assert "Interferometry of radio galaxy jets" in facts  # her best-matching publication
    screenshots(page, "round-assignments-why")

    swap(page, "Pulsar timing arrays — Alan Turing", "Radio galaxy jets — Ada Lovelace")
    refusal = page.get_by_text("Reviewer has a blocking conflict of interest with this proposal")
    refusal.wait_for()
    assert "Ada Lovelace for Pulsar timing arrays" in refusal.inner_text()
    expect_refusal_logged(page)
    screenshots(page, "round-assignments-swap-refused")
    swap(page, f"{alan_other} — Alan Turing", f"{ada_other} — Ada Lovelace")
    page.get_by_text("Reviewers swapped.").wait_for()
    assert pairs_on_the_page(page)[ada_other] == "Alan Turing"

    page.get_by_role("button", name="Deploy to draft batches").click()
    page.get_by_text("Deployed: 4 draft items, 2 new draft batches.").wait_for()
    page.get_by_role("button", name="Send all draft batches").click()
    page.get_by_text("Sent 2 batches.").wait_for()
    screenshots(page, "round-assignments-sent")
    assert serious_accessibility_violations(page) == []
    batch = AssignmentBatch.objects.get(call=call, reviewer_pool_entry=alan)
    assert batch.status == "sent" and batch.items.count() == 2

    # Alan accepts both his proposals on My assignments; the Batches tab shows his batch answered.
    as_user(page, live_server, alan.reviewer.user)
    page.goto(f"{live_server.url}/reviews/assignments/")
    for name in ("Pulsar timing arrays", ada_other):
        page.get_by_role("button", name=f"Accept {name}").click()
        page.get_by_role("button", name=f"Accept {name}").wait_for(state="detached")
    screenshots(page, "round-reviewer-accepted")
    as_user(page, live_server, manager)
    page.goto(live_server.url + tab_url(call, "batches"))
    answered = page.locator(f"#batch-{batch.uuid.hex}")
    assert "Reviewer responded" in answered.inner_text()
    assert "Sent to reviewer" in page.locator(f"#batch-{AssignmentBatch.objects.get(reviewer_pool_entry=ada).uuid.hex}").inner_text()
    page.get_by_label("Reviewer", exact=True).fill("turing")  # his batch found by name
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**reviewer=turing**")
    assert page.locator("table.batches > tbody").count() == 1 and "Alan Turing" in answered.inner_text()
    screenshots(page, "round-batches")
    assert serious_accessibility_violations(page) == []
    assert page.outside == [] and page.errors == []

    # Strangers to the call's management: every tab a 404 (other call's manager) or a 403 (its reviewer).
    other = f.user("otto", first_name="Otto", last_name="Other")
    f.call(managers=[other], name="Another call")
    for user, status, secrets in ((other, 404, [*SECRETS, call.name]), (ada.reviewer.user, 403, [s for s in SECRETS if s != "Ada Lovelace"])):
        as_user(page, live_server, user)
        for url in [tab_url(call)] + [tab_url(call, tab.key) for tab in tabs.in_order()]:
            response = page.goto(live_server.url + url)
            assert response.status == status, (user.username, url)
            leaked = [secret for secret in secrets if secret in page.content()]
            assert leaked == [], (user.username, url, leaked)
        screenshots(page, f"round-refused-{status}")
    assert page.outside == []
