"""Sign-in links (issue 12): stored as a hash, single use, expiring at the deadline of what the mail
is about (at most 14 days), carried by every mail to a reviewer; a spent, unknown or another user's
link shows a page that reveals nothing and offers a fresh link by mail, always with the same answer."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from referee.core.models import SignInLink
from referee.core.sign_in_links import digest, issue_sign_in_link
from referee.notifications import mails
from referee.notifications.models import OutboxMessage
from tests import factories as f
from tests.helpers import ROLES, role_matrix, role_user

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://127\.0\.0\.1:8000(/signin/[A-Za-z0-9_-]{43}/)")
SAME_ANSWER = "If an account uses that address, a new sign-in link is on its way to it."


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def path_of(url: str) -> str:
    return LINK.fullmatch(url).group(1)


def test_only_the_hash_of_the_token_is_stored(world):
    url = issue_sign_in_link(world.reviewer, "/reviews/assignments/", None)
    token = path_of(url).split("/")[2]
    stored = SignInLink.objects.get()
    assert stored.token_hash == digest(token) and token not in stored.token_hash
    assert stored.expires_at == pytest.approx(timezone.now() + timedelta(days=14), abs=timedelta(seconds=5))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "reviews/"])
def test_a_link_lands_on_a_path_of_this_site_only(world, target):
    with pytest.raises(ValueError):
        issue_sign_in_link(world.reviewer, target, None)


def test_a_link_signs_in_once_and_lands_on_its_page(client, world):
    path = path_of(issue_sign_in_link(world.reviewer, "/reviews/assignments/", timezone.now() + timedelta(days=2)))
    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == "/reviews/assignments/"
    assert client.session["_auth_user_id"] == str(world.reviewer.pk)
    assert SignInLink.objects.get().used_at is not None

    client.logout()
    for used in (client.get(path), client.post(path)):
        assert used.status_code == 410 and "_auth_user_id" not in client.session
        assert "This sign-in link has already been used" in used.content.decode()


def test_opening_a_link_uses_nothing_until_its_form_is_sent(client, world):
    """Mail scanners and link previews fetch a mail's links (GET) before its reader does: that
    shows a page whose form (sent at once by its script) uses the link, and spends nothing."""
    path = path_of(issue_sign_in_link(world.reviewer, "/reviews/assignments/", None))
    assert client.head(path).status_code == 200
    for _ in range(3):
        response = client.get(path)
        assert response.status_code == 200 and "_auth_user_id" not in client.session
    html = response.content.decode()
    assert '<form method="post" id="sign-in-by-link">' in html and 'name="csrfmiddlewaretoken"' in html
    assert "/static/web/sign_in_link.js" in html and "Continue</button>" in html
    for secret in (world.reviewer.username, "Reviewer", "/reviews/assignments/"):
        assert secret not in html
    assert SignInLink.objects.get().used_at is None
    assert client.post(path)["Location"] == "/reviews/assignments/"
    assert client.session["_auth_user_id"] == str(world.reviewer.pk)


def test_the_links_form_needs_its_csrf_token(world):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    path = path_of(issue_sign_in_link(world.reviewer, "/reviews/assignments/", None))
    assert browser.post(path).status_code == 403 and SignInLink.objects.get().used_at is None
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', browser.get(path).content.decode()).group(1)
    assert browser.post(path, {"csrfmiddlewaretoken": token})["Location"] == "/reviews/assignments/"


@role_matrix({"anonymous": 302, "stranger": 403, "reviewer": 302, "other_manager": 403, "manager": 403,
              "support": 403, "staff": 403})
def test_the_reviewers_link_for_every_role_in_this_browser(client, world, role, expected):
    """Someone else signed in here keeps their session: the link is refused, stays usable, and the
    page names only who is signed in."""
    user = role_user(world, role)
    if user is not None:
        client.force_login(user)
    path = path_of(issue_sign_in_link(world.reviewer, "/reviews/assignments/", None))
    assert client.get(path).status_code == (200 if expected == 302 else expected)
    response = client.post(path)
    assert response.status_code == expected
    if expected == 403:
        html = response.content.decode()
        assert "This sign-in link is for another account" in html and world.reviewer.username not in html
        assert client.session["_auth_user_id"] == str(user.pk)
        assert SignInLink.objects.get().used_at is None
    else:
        assert client.session["_auth_user_id"] == str(world.reviewer.pk)


def test_an_expired_link_is_gone_and_reveals_nothing(client, world, clock):
    world.reviewer.email = "rev@example.org"
    world.reviewer.save()
    path = path_of(issue_sign_in_link(world.reviewer, "/reviews/assignments/", timezone.now() + timedelta(hours=1)))
    clock.shift(timedelta(hours=1))
    assert client.post(path).status_code == 410
    response = client.get(path)
    html = response.content.decode()
    assert response.status_code == 410 and "This sign-in link has expired" in html
    assert "_auth_user_id" not in client.session
    for secret in (world.reviewer.username, "rev@example.org", "Reviewer", "/reviews/assignments/"):
        assert secret not in html
    assert '<label for="id_email">' in html and 'action="/signin/fresh/"' in html


@pytest.mark.parametrize("token", ["x" * 43, "short", "not-a-token-at-all"])
def test_an_unknown_link_is_not_found_never_a_500(client, token):
    for response in (client.get(f"/signin/{token}/"), client.post(f"/signin/{token}/")):
        assert response.status_code == 404 and "This sign-in link is not valid" in response.content.decode()


def test_a_deactivated_users_link_is_unknown(client, world):
    path = path_of(issue_sign_in_link(world.reviewer, "/reviews/assignments/", None))
    world.reviewer.is_active = False
    world.reviewer.save()
    assert client.get(path).status_code == 404 and client.post(path).status_code == 404


def test_a_fresh_link_goes_to_the_address_and_lands_where_the_spent_one_did(client, world):
    world.reviewer.email = "rev@example.org"
    world.reviewer.save()
    path = path_of(issue_sign_in_link(world.reviewer, "/reviewer-invitation/abc/", None))
    client.post(path)
    client.logout()
    spent = client.get(path).content.decode()
    token = re.search(r'name="link" value="([^"]+)"', spent).group(1)

    response = client.post("/signin/fresh/", {"email": "REV@example.org", "link": token}, follow=True)
    assert response.redirect_chain == [("/signin/fresh/", 302)] and SAME_ANSWER in response.content.decode()
    mail = OutboxMessage.objects.get(template="sign_in_link")
    assert mail.to == ["rev@example.org"]
    fresh = LINK.search(mail.body_text).group(1)
    assert client.post(fresh)["Location"] == "/reviewer-invitation/abc/"
    assert client.session["_auth_user_id"] == str(world.reviewer.pk)


@pytest.mark.parametrize("email", ["nobody@example.org", "shared@example.org"])
def test_a_fresh_link_for_an_address_of_no_one_account_gets_the_same_answer_and_no_mail(client, world, email):
    world.reviewer.email = world.manager.email = "shared@example.org"
    world.reviewer.save()
    world.manager.save()
    response = client.post("/signin/fresh/", {"email": email}, follow=True)
    assert response.status_code == 200 and SAME_ANSWER in response.content.decode()
    assert not OutboxMessage.objects.exists() and not SignInLink.objects.exists()


def test_another_users_spent_link_gives_a_fresh_link_landing_home(client, world):
    world.stranger.email = "str@example.org"
    world.stranger.save()
    path = path_of(issue_sign_in_link(world.reviewer, "/reviewer-invitation/abc/", None))
    client.post("/signin/fresh/", {"email": "str@example.org", "link": path.split("/")[2]})
    fresh = LINK.search(OutboxMessage.objects.get().body_text).group(1)
    assert client.post(fresh)["Location"] == "/"


@pytest.mark.parametrize("role", ROLES)
def test_the_fresh_link_form_answers_every_role_alike(client, world, role):
    user = role_user(world, role)
    if user is not None:
        client.force_login(user)
    assert client.get("/signin/fresh/").status_code == 200
    response = client.post("/signin/fresh/", {"email": "reviewer@example.org"}, follow=True)
    assert response.status_code == 200 and SAME_ANSWER in response.content.decode()


def test_the_fresh_link_form_refuses_a_bad_address_beside_the_field(client):
    response = client.post("/signin/fresh/", {"email": "not an address"})
    html = response.content.decode()
    assert response.status_code == 400 and 'id="id_email-error" role="alert">Enter a valid email address.' in html


def test_fresh_links_are_limited_per_address_typed_and_say_when_to_try_again(client, world):
    world.reviewer.email = "rev@example.org"
    world.reviewer.save()
    for _ in range(3):
        assert client.post("/signin/fresh/", {"email": "rev@example.org"}).status_code == 302
    response = client.post("/signin/fresh/", {"email": "rev@example.org"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "Please try again in" in response.content.decode()
    assert OutboxMessage.objects.count() == 3


def test_the_fresh_link_page_labels_its_field_and_costs_no_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        html = client.get("/signin/fresh/").content.decode()
    assert '<label for="id_email">Your e-mail address</label>' in html


def test_the_refused_link_page_costs_the_same_queries_however_many_links(client, world, django_assert_num_queries):
    for _ in range(20):
        issue_sign_in_link(world.reviewer, "/", None)
    with django_assert_num_queries(1):  # the lookup (opening a link uses nothing: no transaction)
        client.get("/signin/" + "y" * 43 + "/")
    with django_assert_num_queries(3):  # the lookup, inside redeem()'s savepoint and its release
        client.post("/signin/" + "y" * 43 + "/")


# --- the mails carry the links ---------------------------------------------------------------------

def sent_batch(world, expires_in=timedelta(days=3)):
    world.reviewer.email = "rev@example.org"
    world.reviewer.save()
    batch = f.batch(world.entry, status="sent", sent_at=timezone.now(), expires_at=timezone.now() + expires_in)
    f.item(batch, world.proposal)
    return batch


@pytest.mark.parametrize("mail", ["invitation_for_batch", "reminder_for_batch", "deadline_extended"])
def test_every_batch_mail_signs_the_reviewer_in_on_my_assignments_until_the_deadline(client, world, mail):
    batch = sent_batch(world)
    message = getattr(mails, mail)(batch)
    [path] = set(LINK.findall(message.body_text)) | set(LINK.findall(message.body_html))
    stored = SignInLink.objects.get()
    assert stored.user == world.reviewer and stored.expires_at == batch.expires_at
    assert client.post(path)["Location"] == mails.REVIEWS_PATH


def test_a_batch_mails_link_expires_after_14_days_at_most(world):
    mails.invitation_for_batch(sent_batch(world, expires_in=timedelta(days=30)))
    expires_at = SignInLink.objects.get().expires_at
    assert expires_at == pytest.approx(timezone.now() + timedelta(days=14), abs=timedelta(seconds=5))


def test_the_pool_invitation_signs_in_on_the_invitation_page(client, world):
    world.reviewer.email = "rev@example.org"
    world.reviewer.save()
    entry = f.pool_entry(world.other_call, world.profile, status="pending", invitation_token="cd" * 32,
                         invitation_expires_at=timezone.now() + timedelta(days=5))
    message = mails.pool_invitation(entry)
    [path] = set(LINK.findall(message.body_text))
    assert SignInLink.objects.get().expires_at == entry.invitation_expires_at
    assert client.post(path)["Location"] == f"/reviewer-invitation/{'cd' * 32}/"


def test_a_mail_rolled_back_takes_its_link_with_it(world):
    from django.db import transaction  # noqa: PLC0415 — lazy: this test alone opens a transaction of its own

    with pytest.raises(RuntimeError), transaction.atomic():
        mails.invitation_for_batch(sent_batch(world))
        raise RuntimeError
    assert not SignInLink.objects.exists()
