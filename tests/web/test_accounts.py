"""Signing in with a password (issue 12): by username or e-mail address, for every role, a shared
address signing nobody in, failures limited per account and per client address with a refusal
that says when to try again, and the cookie flags."""

import subprocess
import sys

import pytest
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from rest_framework.test import APIClient

from referee.core import sign_in_limits
from referee.settings import cache_settings
from tests import factories as f
from tests.helpers import ROLES, role_matrix, role_user

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase"
REFUSED = "Please enter a correct username and password."


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()  # the counts live in the shared cache, not in the test's transaction alone
    yield
    cache.clear()


def with_password(user, email=None):
    user.set_password(PASSWORD)
    if email is not None:
        user.email = email
    user.save()
    return user


def sign_in(client, username, password=PASSWORD, address="10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
@pytest.mark.parametrize("by", ["username", "email"])
def test_every_role_signs_in_by_username_or_address_and_goes_on_to_my_assignments(client, world, role, by):
    user = with_password(role_user(world, role), email=f"{role}@example.org")
    identifier = user.username if by == "username" else f"{role.upper()}@Example.org"  # any case
    response = sign_in(client, identifier)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get("/")["Location"] == "/reviews/assignments/"


@role_matrix({"anonymous": 200, "stranger": 302, "reviewer": 302, "other_manager": 302, "manager": 302,
              "support": 302, "staff": 302})
def test_the_sign_in_page_sends_who_is_signed_in_on(client, world, role, expected):
    user = role_user(world, role)
    if user is not None:
        client.force_login(user)
    assert client.get("/login/").status_code == expected


def test_an_address_two_accounts_share_signs_neither_in(client):
    ann = with_password(f.user("ann"), email="shared@example.org")
    with_password(f.user("bob"), email="shared@example.org")
    response = sign_in(client, "shared@example.org")
    assert response.status_code == 400 and REFUSED in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert sign_in(client, "ann").status_code == 302  # the username still says which account
    assert client.session["_auth_user_id"] == str(ann.pk)


def test_a_username_that_is_another_accounts_address_signs_neither_in(client):
    with_password(f.user("carol@example.org", email="c@example.org"))
    with_password(f.user("dave"), email="carol@example.org")
    assert sign_in(client, "carol@example.org").status_code == 400 and "_auth_user_id" not in client.session


def test_an_inactive_account_is_refused_like_a_wrong_password(client):
    user = with_password(f.user("eve"), email="eve@example.org")
    user.is_active = False
    user.save()
    response = sign_in(client, "eve@example.org")
    assert response.status_code == 400 and REFUSED in response.content.decode()


def test_an_account_is_refused_after_five_failures_and_says_when_to_try_again(client, settings, time_machine):
    time_machine.move_to("2026-03-10 12:01:00+00:00", tick=False)
    with_password(f.user("ann"), email="ann@example.org")
    for attempt in range(5):  # from different addresses, and by username or address alike
        assert sign_in(client, "ann" if attempt % 2 else "ann@example.org", "wrong", f"10.0.0.{attempt}").status_code == 400
    response = sign_in(client, "ann", address="10.9.9.9")  # even the right password, from elsewhere
    assert response.status_code == 429 and response["Retry-After"] == "840"
    assert ("Too many attempts. Please try again in 14 minutes, after 12:15 UTC."
            in response.content.decode())
    assert "_auth_user_id" not in client.session
    time_machine.move_to("2026-03-10 12:15:00+00:00", tick=False)
    assert sign_in(client, "ann").status_code == 302


def test_the_account_count_is_per_account_so_another_account_still_signs_in(client):
    with_password(f.user("ann"))
    with_password(f.user("bob"))
    for _ in range(5):
        sign_in(client, "ann", "wrong", "10.0.0.1")
    assert sign_in(client, "ann", address="10.0.0.2").status_code == 429
    assert sign_in(client, "bob", address="10.0.0.1").status_code == 302


def api_token(username, password=PASSWORD, address="10.0.0.1"):
    return APIClient().post("/api-auth/password/", {"username": username, "password": password}, format="json",
                            REMOTE_ADDR=address)


def test_the_api_token_endpoint_counts_in_the_same_limits_as_the_sign_in_page(client, time_machine):
    time_machine.move_to("2026-03-10 12:01:00+00:00", tick=False)
    with_password(f.user("ann"), email="ann@example.org")
    for attempt in range(3):
        assert api_token("ann", "wrong", f"10.0.1.{attempt}").status_code == 401
    for attempt in range(2):  # the page's failures and the API's add up
        assert sign_in(client, "ann@example.org", "wrong", f"10.0.2.{attempt}").status_code == 400
    refused = api_token("ann", address="10.9.9.9")  # even the right password
    assert refused.status_code == 429 and refused["Retry-After"] == "840"
    assert refused.json() == {"detail": "Too many attempts. Please try again in 14 minutes, after 12:15 UTC."}
    assert sign_in(client, "ann", address="10.9.9.8").status_code == 429
    time_machine.move_to("2026-03-10 12:15:00+00:00", tick=False)
    assert api_token("ann").status_code == 200 and len(api_token("ann").json()["token"]) == 40


def test_an_inactive_account_asking_the_api_for_its_token_is_counted_as_a_failure(client):
    user = with_password(f.user("eve"))
    user.is_active = False
    user.save()
    for _ in range(5):
        assert api_token("eve").status_code == 401
    assert api_token("eve").status_code == 429


def test_a_client_address_is_refused_after_twenty_failures_on_any_accounts(client):
    with_password(f.user("ann"))
    for n in range(20):
        assert sign_in(client, f"guess{n}", "wrong", "10.0.0.7").status_code == 400
    assert sign_in(client, "ann", address="10.0.0.7").status_code == 429
    assert sign_in(client, "ann", address="10.0.0.8").status_code == 302


def test_a_success_clears_the_accounts_count(client):
    with_password(f.user("ann"))
    for _ in range(4):
        sign_in(client, "ann", "wrong")
    assert sign_in(client, "ann").status_code == 302
    client.logout()
    for _ in range(4):
        assert sign_in(client, "ann", "wrong").status_code == 400
    assert sign_in(client, "ann").status_code == 302


def test_a_cache_that_does_not_answer_refuses_nobody(client, monkeypatch):
    monkeypatch.setattr(sign_in_limits, "cache", RedisCache("redis://127.0.0.1:1/0", {}))  # nothing listens there
    with_password(f.user("ann"))
    assert sign_in(client, "ann", "wrong").status_code == 400
    assert sign_in(client, "ann").status_code == 302


def test_cookies_are_httponly_and_lax_and_secure_when_configured(client, settings):
    with_password(f.user("ann"))
    response = sign_in(client, "ann")
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax" and not session["secure"]  # plain http here
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    client.logout()
    response = sign_in(client, "ann")
    assert response.cookies["sessionid"]["secure"]


@pytest.mark.parametrize("redis_url, backend", [
    ("redis://redis.internal:6379/0", "redis.RedisCache"),
    ("rediss://redis.internal:6380/1", "redis.RedisCache"),
    ("", "db.DatabaseCache"),
    ("sqlite:///var/broker.sqlite3", "db.DatabaseCache"),
])
def test_the_cache_is_redis_when_one_is_named_else_a_database_table(redis_url, backend):
    assert cache_settings(redis_url)["default"]["BACKEND"] == f"django.core.cache.backends.{backend}"


def test_secure_cookies_follow_the_environment_and_default_to_https_site_urls():
    def flags(**env):
        code = ("import referee.settings as s; "
                "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_HTTPONLY)")
        base = {"PATH": "/usr/bin:/bin", "REFEREE_VAR_DIR": "/tmp/referee-settings-test"}
        return subprocess.run([sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True,
                              check=True).stdout.split()

    assert flags() == ["False", "False", "True", "True"]  # the embedded default: plain http
    assert flags(SITE_URL="https://referee.example.org") == ["True", "True", "True", "True"]
    assert flags(SITE_URL="https://referee.example.org", SECURE_COOKIES="0")[:2] == ["False", "False"]
    assert flags(SECURE_COOKIES="1")[:2] == ["True", "True"]


def test_migrate_creates_the_cache_table_the_limits_count_in():
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE referee_cache")  # rolled back with the test's transaction (PostgreSQL)
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert "referee_cache" in connection.introspection.table_names()
