"""The Batches tab in Chromium against a live server: filter the list, send a draft batch, extend a
deadline and reassign a declined proposal in place, each status change shown and confirmed by the
API; accessible at a phone's and a laptop's width, nothing loaded from another host."""

from datetime import timedelta

import pytest
from django.utils import timezone

from referee.assignments.models import AffinityScore
from tests import factories as f
from tests.browser import screenshots, serious_accessibility_violations, sign_in
from tests.helpers import client_for

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_filtering_sending_extending_and_reassigning_in_place(live_server, page):
    manager = f.user("mia", first_name="Mia", last_name="Manager")
    call = f.call(managers=[manager], name="Deep-sea imaging 2026")
    round_ = f.round_(call)
    sonar, glow, vents = (f.proposal(round_, name=name) for name in
                          ("Sonar arrays at depth", "Bioluminescence census", "Hydrothermal vents"))
    people = {name: f.pool_entry(call, f.profile(f.user(name.lower(), first_name=name, last_name="Diver")))
              for name in ("Rea", "Sam", "Ada")}
    draft = f.batch(people["Rea"])
    f.item(draft, sonar, affinity_score=0.8)
    sent = f.batch(people["Sam"], status="sent")
    f.item(sent, glow)
    declined = f.item(sent, vents, status="declined", decline_reason="Away at sea.")
    AffinityScore.objects.create(call=call, reviewer=people["Ada"].reviewer, proposal=vents, affinity_score=0.7,
                                 method="combined", keyword_weight=0.4, text_weight=0.6)

    sign_in(page, live_server.url, manager)
    page.goto(f"{live_server.url}/call/{call.uuid}/manage/?tab=batches")
    rows = page.locator("table.batches > tbody")
    assert rows.count() == 2
    screenshots(page, "console-batches")
    assert serious_accessibility_violations(page) == []

    page.get_by_label("Draft - pending approval").check()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**status=draft**")
    assert rows.count() == 1 and "Rea Diver" in rows.first.inner_text()

    page.get_by_role("button", name="Send the batch of Rea Diver").click()
    page.get_by_text("Assignment batch invitation sent successfully.").wait_for()
    assert "Sent to reviewer" in page.locator(f"#batch-{draft.uuid.hex}").inner_text()
    assert client_for(manager).get(f"/api/assignment-batches/{draft.uuid.hex}/").json()["status"] == "sent"

    page.get_by_role("link", name="Clear").click()
    page.wait_for_url("**?tab=batches")
    batch = page.locator(f"#batch-{sent.uuid.hex}")
    deadline = (timezone.now() + timedelta(days=20)).replace(second=0, microsecond=0)  # the manager reads UTC
    batch.get_by_label("New deadline").fill(deadline.strftime("%Y-%m-%dT%H:%M"))
    batch.get_by_role("button", name="Extend the deadline of Sam Diver").click()
    page.get_by_text("Deadline extended.").wait_for()
    expires = client_for(manager).get(f"/api/assignment-batches/{sent.uuid.hex}/").json()["expires_at"]
    assert expires.startswith(deadline.strftime("%Y-%m-%dT%H:%M"))

    batch.get_by_role("link", name="Alternatives to Sam Diver for Hydrothermal vents").click()
    batch.get_by_role("button", name="Reassign “Hydrothermal vents” to Ada Diver").click()
    page.get_by_text("Assignment reassigned successfully.").wait_for()
    assert "Reassigned to another reviewer" in page.locator(f"#item-{declined.uuid.hex}").inner_text()
    assert page.url.endswith("?tab=batches")  # all in place
    screenshots(page, "console-batches-acted")
    assert serious_accessibility_violations(page) == []
    assert page.outside == [] and page.errors == []
