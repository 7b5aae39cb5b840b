"""The pool invitation and bids pages in Chromium against a live server: accept an invitation
declaring one conflict, then change a bid in place; accessible, nothing from another host, at a
phone's and a laptop's width."""

from datetime import timedelta

import pytest
from django.utils import timezone

from referee.conflicts.models import ConflictOfInterest
from referee.reviewers.models import CallReviewerPool, ReviewerBid
from tests import factories as f
from tests.browser import screenshots, serious_accessibility_violations, sign_in
from tests.helpers import client_for

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def assert_clean(page):
    assert serious_accessibility_violations(page) == []
    assert page.outside == [] and page.errors == []


def test_accepting_a_pool_invitation_with_a_conflict_then_bidding_in_place(live_server, page):
    manager, reviewer = f.user("mara"), f.user("rene")
    call = f.call(managers=[manager], name="Telescope time 2026", description="Observing time on the big dish.")
    call.coi_config.invitation_proposal_disclosure = "titles_and_summaries"
    call.coi_config.save()
    rnd = f.round_(call)
    conflicted = f.proposal(rnd, name="Pulsar timing")
    other = f.proposal(rnd, name="Radio galaxies")
    entry = f.pool_entry(call, f.profile(reviewer), status=CallReviewerPool.Status.PENDING, invited_by=manager,
                         invitation_expires_at=timezone.now() + timedelta(days=7))
    sign_in(page, live_server.url, reviewer)

    page.goto(f"{live_server.url}/reviewer-invitation/{entry.invitation_token}/")
    screenshots(page, "pool-invitation")
    assert_clean(page)
    page.get_by_label("I have a conflict with Pulsar timing").check()
    key = conflicted.uuid.hex
    page.locator(f"#id_coi_type-{key}").select_option("INST_SAME")
    page.locator(f"#id_description-{key}").fill("Same department")
    page.get_by_role("button", name="Accept the invitation").click()
    page.get_by_text("Invitation accepted successfully.").wait_for()
    screenshots(page, "pool-invitation-accepted")
    assert_clean(page)

    api = client_for(reviewer).get(f"/api/call-reviewer-pools/{entry.uuid.hex}/").json()
    assert api["invitation_status"] == "accepted" and api["coi_count"] == 1
    coi = ConflictOfInterest.objects.get(reviewer=entry.reviewer)
    assert (coi.proposal_id, coi.coi_type, coi.detection_method) == (conflicted.pk, "INST_SAME", "self_disclosed")

    page.get_by_role("link", name="Bid on the call's proposals").click()
    page.wait_for_url(f"{live_server.url}/bids/")
    assert page.get_by_text(other.project_summary).is_visible()
    select = page.locator(f"#bid-{other.uuid.hex}")
    select.focus()
    select.select_option("eager")
    page.keyboard.press("Tab")  # keyboard alone: to the row's Save button
    page.keyboard.press("Enter")
    page.get_by_text("Saved: Eager.").wait_for()
    assert page.url == f"{live_server.url}/bids/"  # changed in place, not by a new page
    assert ReviewerBid.objects.get(proposal=other).bid == "eager"
    screenshots(page, "pool-bids")
    assert_clean(page)
