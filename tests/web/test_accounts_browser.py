"""Sign-in links in Chromium against a live server (issue 12): the link of the invitation actually
queued in the outbox signs the reviewer in on My assignments; a used link, an expired link and
another reviewer's link each show their page, revealing nothing of whose link it was; the fresh
link form. Every page at both widths, axe-clean, nothing from another host."""

import re
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.utils import timezone

from referee.assignments.domain.batches import send_batch
from referee.core.sign_in_links import issue_sign_in_link
from referee.notifications.mails import REVIEWS_PATH
from tests import factories as f
from tests.browser import screenshots, serious_accessibility_violations, sign_in

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"http://127\.0\.0\.1:8000(/signin/[A-Za-z0-9_-]{43}/)")


@pytest.fixture
def invited():
    """Reviewer Rita, sent a batch of one proposal by the call's manager through the domain."""
    cache.clear()
    manager = f.user("maria", email="maria@example.org")
    rita = f.user("rita", first_name="Rita", last_name="Reviewer", email="rita@example.org")
    call = f.call(managers=[manager])
    proposal = f.proposal(f.round_(call))
    batch = f.batch(f.pool_entry(call, f.profile(rita)))
    f.item(batch, proposal)
    send_batch(batch, actor=manager)
    return rita


def signed_in_user_id(page, base_url) -> str | None:
    cookies = {c["name"]: c["value"] for c in page.context.cookies(base_url)}
    return SessionStore(session_key=cookies["sessionid"]).get("_auth_user_id") if "sessionid" in cookies else None


def status_logged(status: int) -> str:
    return f"Failed to load resource: the server responded with a status of {status} "


def clean(page, *statuses) -> None:
    """axe-clean, nothing from another host, no console error but Chromium's note of the refusal
    statuses (`statuses`) these pages answer with by design."""
    assert serious_accessibility_violations(page) == []
    errors = [e for e in page.errors if not any(e.startswith(status_logged(s)) for s in statuses)]
    assert page.outside == [] and errors == []
    page.errors.clear()


def landed_on_my_assignments(page, base_url) -> None:
    """After opening a sign-in link: its page's script sent the form that uses the link."""
    page.wait_for_url(f"{base_url}{REVIEWS_PATH}")
    assert page.inner_text("h1") == "My assignments"


def mailed(mailoutbox, subject_part: str):
    """The one mail delivered whose subject contains `subject_part` (the outbox row keeps no link)."""
    [mail] = [m for m in mailoutbox if subject_part in m.subject]
    return mail


def test_the_invitations_link_signs_in_on_my_assignments_once(live_server, page, invited, mailoutbox):
    mail = mailed(mailoutbox, "to review")
    assert mail.to == ["rita@example.org"]
    path = LINK.search(mail.body).group(1)
    [(html, _)] = mail.alternatives
    assert LINK.search(html).group(1) == path  # the button: the same personal link

    page.goto(f"{live_server.url}{path}")
    landed_on_my_assignments(page, live_server.url)
    assert signed_in_user_id(page, live_server.url) == str(invited.pk)

    page.context.clear_cookies()
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == 410 and page.inner_text("h1") == "This sign-in link has already been used"
    html = page.content()
    assert "rita" not in html.lower() and REVIEWS_PATH not in html
    screenshots(page, "accounts-link-used")
    clean(page, 410)
    assert signed_in_user_id(page, live_server.url) is None

    page.fill("#id_email", "rita@example.org")  # a fresh link, by mail, to where the spent one led
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/signin/fresh/")
    assert "a new sign-in link is on its way" in page.inner_text("[role=status]")
    screenshots(page, "accounts-fresh-link-sent")
    clean(page)
    fresh = LINK.search(mailed(mailoutbox, "sign-in link").body).group(1)
    page.goto(f"{live_server.url}{fresh}")
    landed_on_my_assignments(page, live_server.url)
    assert signed_in_user_id(page, live_server.url) == str(invited.pk)
    clean(page)


def test_without_scripts_the_links_page_asks_to_continue_and_then_signs_in(live_server, chromium, invited, mailoutbox):
    """A browser that runs no script stays on the link's page (as a mail scanner's fetch does,
    which uses nothing); its reader presses Continue."""
    context = chromium.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        path = LINK.search(mailed(mailoutbox, "to review").body).group(1)
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200 and page.inner_text("h1") == "Signing you in"
        assert "rita" not in page.content().lower() and signed_in_user_id(page, live_server.url) is None
        screenshots(page, "accounts-link-continue")
        page.click("main button:has-text('Continue')")
        landed_on_my_assignments(page, live_server.url)
        assert signed_in_user_id(page, live_server.url) == str(invited.pk)
    finally:
        context.close()


def test_the_links_page_is_accessible_and_uses_nothing_while_its_script_is_held(live_server, page, invited, mailoutbox):
    page.route("**/static/web/sign_in_link.js", lambda route: route.abort())
    path = LINK.search(mailed(mailoutbox, "to review").body).group(1)
    assert page.goto(f"{live_server.url}{path}").status == 200
    assert serious_accessibility_violations(page) == [] and page.outside == []
    assert signed_in_user_id(page, live_server.url) is None
    page.unroute("**/static/web/sign_in_link.js")
    page.reload()
    landed_on_my_assignments(page, live_server.url)
    assert signed_in_user_id(page, live_server.url) == str(invited.pk)


def test_an_expired_link_shows_its_page_and_reveals_nothing(live_server, page, invited):
    path = LINK.search(issue_sign_in_link(invited, REVIEWS_PATH, timezone.now() - timedelta(minutes=1))).group(1)
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == 410 and page.inner_text("h1") == "This sign-in link has expired"
    assert "rita" not in page.content().lower()
    screenshots(page, "accounts-link-expired")
    clean(page, 410)
    assert signed_in_user_id(page, live_server.url) is None


def test_another_reviewers_link_keeps_who_is_signed_in_and_reveals_nothing(live_server, page, invited, mailoutbox):
    sam = f.user("sam", first_name="Sam", email="sam@example.org")
    sign_in(page, live_server.url, sam)
    path = LINK.search(mailed(mailoutbox, "to review").body).group(1)  # Rita's invitation
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == 403 and page.inner_text("h1") == "This sign-in link is for another account"
    assert "You are signed in as sam." in page.inner_text("main") and "rita" not in page.content().lower()
    screenshots(page, "accounts-link-another-user")
    clean(page, 403)
    assert signed_in_user_id(page, live_server.url) == str(sam.pk)

    page.click("main button:has-text(\"Sign out\")")  # then the link is Rita's to use
    page.wait_for_url(f"{live_server.url}/login/")
    page.goto(f"{live_server.url}{path}")
    landed_on_my_assignments(page, live_server.url)
    assert signed_in_user_id(page, live_server.url) == str(invited.pk)
    clean(page)


def test_an_unknown_link_and_the_fresh_link_page(live_server, page):
    response = page.goto(f"{live_server.url}/signin/{'z' * 43}/")
    assert response.status == 404 and page.inner_text("h1") == "This sign-in link is not valid"
    screenshots(page, "accounts-link-unknown")
    clean(page, 404)
    page.click("text=sign in with your password")
    page.wait_for_url(f"{live_server.url}/login/")
    page.click("text=Get a new sign-in link by mail")
    page.wait_for_url(f"{live_server.url}/signin/fresh/")
    page.keyboard.press("Tab")  # keyboard only: skip link, brand, then the field
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("not an address")
    page.keyboard.press("Enter")
    page.wait_for_selector("#id_email-error")
    assert page.inner_text("#id_email-error") == "Enter a valid email address."
    screenshots(page, "accounts-fresh-link")
    clean(page, 400)


def test_too_many_failures_say_when_to_try_again(live_server, page, settings):
    cache.clear()
    user = f.user("kim")
    user.set_password("a long enough passphrase")
    user.save()
    page.goto(f"{live_server.url}/login/")
    for _ in range(settings.REFEREE_SIGN_IN_FAILURES_PER_ACCOUNT + 1):
        page.fill("#id_username", "kim")
        page.fill("#id_password", "wrong")
        page.click("main >> button[type=submit]")
        page.wait_for_load_state()
    assert re.search(r"Too many attempts\. Please try again in \d+ minutes?, after \d\d:\d\d UTC\.",
                     page.inner_text("main [role=alert]"))
    screenshots(page, "accounts-login-refused")
    clean(page, 400, 429)  # the refused attempts, then the limit
    cache.clear()
