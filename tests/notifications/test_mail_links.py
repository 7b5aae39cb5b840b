"""Every link in every mail to a reviewer leads its recipient to a page that answers 200 (issue 12):
the one-time sign-in link signs them in and lands there; every other link of ours answers once
they are signed in. Rendered by the mail functions themselves, read back from the outbox."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client

from referee.core.models import User
from referee.notifications import mails
from tests.helpers import MAIL_NOW

pytestmark = pytest.mark.django_db

LINK = re.compile(r"""https?://[^\s"'<>)]+""")


def cancelled(w):
    for item in w.items:
        item.status, item.has_coi = "expired", False
        item.save()
    w.batch.status = "cancelled"
    w.batch.save()
    return mails.batch_cancelled(w.batch)


def extended(w):
    w.batch.expires_at = MAIL_NOW + timedelta(days=14)
    w.batch.save()
    return mails.deadline_extended(w.batch, previous_expires_at=MAIL_NOW + timedelta(days=7))


def unblocked(w):
    item = w.items[2]
    item.status, item.has_coi = "pending", False
    item.save()
    return mails.item_unblocked(item)


REVIEWER_MAILS = {
    "invitation": lambda w: mails.invitation_for_batch(w.batch),
    "reminder": lambda w: mails.reminder_for_batch(w.batch),
    "deadline extended": extended,
    "batch cancelled": cancelled,
    "item unblocked": unblocked,
    "pool invitation": lambda w: mails.pool_invitation(w.entry),
    "fresh sign-in link": lambda w: mails.fresh_sign_in_link(w.rita.email),
}


# The mails that ask the reviewer to act carry a personal one-time sign-in link (issue 12); the
# notices of a cancelled batch and of an unblocked item link to the page plainly.
WITH_SIGN_IN_LINK = {"invitation", "reminder", "deadline extended", "pool invitation", "fresh sign-in link"}


def our_paths(message) -> set[str]:
    links = set(LINK.findall(message.body_text)) | set(LINK.findall(message.body_html.replace("&amp;", "&")))
    assert links, "the mail links to nothing"
    outside = {link for link in links if link != settings.SITE_URL and not link.startswith(settings.SITE_URL + "/")}
    assert outside == set(), "a mail links to another host"
    return {link[len(settings.SITE_URL):] or "/" for link in links}


@pytest.mark.parametrize("mail", REVIEWER_MAILS)
def test_every_link_of_a_reviewer_mail_answers_its_recipient(mailworld, mail):
    message = REVIEWER_MAILS[mail](mailworld)
    [recipient] = [User.objects.get(email=address) for address in message.to]
    paths = our_paths(message)
    sign_in = {path for path in paths if path.startswith("/signin/") and path != "/signin/fresh/"}
    assert len(sign_in) == (1 if mail in WITH_SIGN_IN_LINK else 0)
    for path in sorted(paths):
        browser = Client()
        if path in sign_in:  # the link's page, then its form (what its script sends at once)
            assert browser.get(path).status_code == 200
            response = browser.post(path, follow=True)
        else:
            browser.force_login(recipient)
            response = browser.get(path, follow=True)
        assert response.status_code == 200, (mail, path)
        assert response.wsgi_request.user == recipient, (mail, path)


def expired_batch(w):
    w.batch.status = "expired"
    w.batch.save()
    return mails.batch_expired_notice(w.batch)


def declined_item(w):
    item = w.items[0]
    item.status, item.responded_at, item.decline_reason = "declined", MAIL_NOW, "Away at sea."
    item.save()
    return mails.decline_notice(item)


# The managers' mails carry Waldur's portal links (`mails.manage_path`); the console answers them
# with the tab that shows the same thing (`web.console.tabs.WALDUR_POOL_TABS`). The pool
# invitation expired mail (`mails.pool_invitation_expired`, `?tab=reviewer-pool` → the "pool" tab)
# joins this list once the console's Pool tab is built.
MANAGER_MAILS = {
    "batch expired": (expired_batch, "Batches"),
    "item declined": (declined_item, "Batches"),
    "pool invitation expired": (lambda w: mails.pool_invitation_expired(w.entry), "Pool"),
}


@pytest.mark.parametrize("mail", MANAGER_MAILS)
def test_every_link_of_a_manager_mail_answers_each_manager_and_the_console_shows_the_matching_tab(mailworld, mail):
    write, tab = MANAGER_MAILS[mail]
    message = write(mailworld)
    recipients = [User.objects.get(email=address) for address in message.to]
    # The call's managers (the pool expiry mail goes to the one who invited, when known).
    assert {user.username for user in recipients} == ({"maria"} if mail == "pool invitation expired" else {"maria", "mo"})
    paths = our_paths(message)
    console = {path for path in paths if path.startswith(f"/call/{mailworld.call.uuid.hex}/manage/?")}
    assert console, "the mail does not link to the call's console"
    for recipient in recipients:
        for path in sorted(paths):
            browser = Client()
            browser.force_login(recipient)
            response = browser.get(path, follow=True)
            assert response.status_code == 200, (mail, path)
            if path in console:
                assert f'aria-current="page">{tab}<' in response.content.decode(), (mail, path)
