"""The sign-in page in Chromium against a live server: labelled, keyboard-usable, accessible,
nothing from another host, at a phone's and a laptop's width."""

import pytest
from django.contrib.sessions.backends.db import SessionStore

from referee.notifications.mails import REVIEWS_PATH
from tests import factories as f
from tests.browser import screenshots, serious_accessibility_violations

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_signing_in_with_the_keyboard_alone(live_server, page):
    user = f.user("kim")
    user.set_password("a long enough passphrase")
    user.save()
    page.goto(f"{live_server.url}/login/")
    screenshots(page, "login")
    assert serious_accessibility_violations(page) == []
    assert page.evaluate("document.activeElement.id") == "id_username"  # focused on arrival
    page.keyboard.type("kim")
    page.keyboard.press("Tab")
    page.keyboard.type("a long enough passphrase")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}{REVIEWS_PATH}")  # by way of /
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert SessionStore(session_key=cookies["sessionid"])["_auth_user_id"] == str(user.pk)
    assert page.outside == [] and page.errors == []
