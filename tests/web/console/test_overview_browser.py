"""The Overview, Reviews and Audit tabs in Chromium against a live server: a call part-way through
its round, read by its manager: the counts, the chart with its data table, each proposal's
progress and an overdue review, the audit trail filtered by event type; accessible at a phone's
and a laptop's width, nothing loaded from another host."""

from datetime import timedelta

import pytest
from django.utils import timezone

from referee.assignments import domain
from referee.assignments.models import AssignmentBatch
from referee.reviews.models import Review
from tests import factories as f
from tests.browser import screenshots, serious_accessibility_violations, sign_in

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_a_manager_reads_the_round(live_server, page):
    manager = f.user("mia", first_name="Mia", last_name="Manager")
    call = f.call(managers=[manager], name="Deep-sea imaging 2026")
    round_ = f.round_(call, review_duration_in_days=7)
    proposals = [f.proposal(round_, name=name) for name in ("Sonar arrays", "Glow census", "Vent chemistry")]
    now = timezone.now()
    for k, name in enumerate(("Rea", "Sam", "Ada", "Bo")):
        user = f.user(name.lower(), first_name=name, last_name="Diver")
        batch = f.batch(f.pool_entry(call, f.profile(user)), status="sent")
        item = f.item(batch, proposals[k % 3], responded_at=now - timedelta(days=4 - k),
                      status="declined" if k == 3 else "accepted")
        if k < 3:
            state = "submitted" if k == 0 else "in_review"
            item.review = Review.objects.create(proposal=item.proposal, reviewer=user, state=state)
            item.save()
    late = Review.objects.filter(reviewer__username="sam").get()
    Review.objects.filter(pk=late.pk).update(created=now - timedelta(days=9))
    AssignmentBatch.objects.filter(items__review=late).update(expires_at=now - timedelta(days=3))  # past both
    draft = f.batch(f.pool_entry(call, f.profile(f.user("cy", first_name="Cy", last_name="Diver"))))
    f.item(draft, proposals[2])
    domain.send_batch(draft, actor=manager)

    sign_in(page, live_server.url, manager)
    page.goto(f"{live_server.url}/call/{call.uuid}/manage/")
    assert page.locator('[aria-current="page"]', has_text="Overview").count() == 1
    chart = page.locator("figure#answers-over-time")
    assert chart.locator("svg[role=img]").count() == 1
    chart.get_by_text("The numbers of").click()
    assert chart.locator("tbody tr").count() == 5  # four days with an answer each, then today's submitted review
    assert page.get_by_role("link", name="1 review past its deadline").is_visible()
    screenshots(page, "console-overview")
    assert serious_accessibility_violations(page) == []

    page.get_by_role("link", name="1 review past its deadline").click()
    page.wait_for_url("**tab=reviews**")
    overdue = page.locator("table", has_text="Reviews past their deadline")
    assert "Sam Diver" in overdue.inner_text()
    screenshots(page, "console-reviews")
    assert serious_accessibility_violations(page) == []

    page.get_by_role("navigation", name="Call").get_by_role("link", name="Audit").click()
    page.get_by_label("Event types").select_option("ASSIGNMENT_BATCH_SENT")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**event_type=ASSIGNMENT_BATCH_SENT**")
    events = page.locator("table.audit tbody tr")
    assert events.count() == 1 and "Mia Manager" in events.first.inner_text()
    screenshots(page, "console-audit")
    assert serious_accessibility_violations(page) == []
    assert page.outside == [] and page.errors == []
