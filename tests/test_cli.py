"""Console commands: `referee createuser`, `referee token` and `referee serve`'s configuration."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from referee.core.management.commands import serve
from referee.core.models import User

db = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip()


@db
def test_createuser_prints_the_new_users_token():
    token = run("createuser", "alice", "--email", "alice@example.org", "--first-name", "Alice")
    assert re.fullmatch(r"[0-9a-f]{40}", token)
    alice = User.objects.get(username="alice")
    assert (alice.email, alice.first_name) == ("alice@example.org", "Alice")
    assert not alice.is_staff and not alice.is_support
    assert Token.objects.get(user=alice).key == token
    assert not alice.has_usable_password()


@db
@pytest.mark.parametrize("flag, field", [("--staff", "is_staff"), ("--support", "is_support")])
def test_createuser_roles(flag, field):
    run("createuser", "boss", "--email", "boss@example.org", flag)
    assert getattr(User.objects.get(username="boss"), field) is True


@db
def test_createuser_with_password_can_log_in(api):
    run("createuser", "carol", "--email", "carol@example.org", "--password", "s3cret-pass")
    response = api().post("/api-auth/password/", {"username": "carol", "password": "s3cret-pass"}, format="json")
    assert response.status_code == 200 and response.json()["token"] == Token.objects.get(user__username="carol").key


@db
def test_createuser_refuses_a_taken_username():
    run("createuser", "dave", "--email", "dave@example.org")
    with pytest.raises(CommandError, match="username"):
        run("createuser", "dave", "--email", "other@example.org")
    assert User.objects.filter(username="dave").count() == 1


@db
def test_createuser_refuses_staff_and_support_together():
    with pytest.raises(CommandError):
        run("createuser", "eve", "--email", "eve@example.org", "--staff", "--support")
    assert not User.objects.filter(username="eve").exists()


@db
def test_token_prints_the_same_token_every_time():
    created = run("createuser", "frank", "--email", "frank@example.org")
    assert run("token", "frank") == created == run("token", "frank")


@db
def test_token_creates_a_missing_token():
    user = User.objects.create(username="grace")
    token = run("token", "grace")
    assert Token.objects.get(user=user).key == token


@db
def test_token_for_an_unknown_user_fails():
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        run("token", "nobody")


@db
def test_token_of_several_users_prints_a_line_each_in_the_order_asked():
    hal, ida = User.objects.create(username="hal"), User.objects.create(username="ida")
    assert run("token", "ida", "hal").splitlines() == [f"ida {Token.objects.get(user=ida).key}",
                                                      f"hal {Token.objects.get(user=hal).key}"]
    with pytest.raises(CommandError, match="No user named 'x', 'y'"):
        run("token", "hal", "x", "y")


def test_serve_configures_gunicorn(monkeypatch, settings, tmp_path):
    seen = {}

    def fake_run(self):
        seen.update(bind=self.cfg.bind, workers=self.cfg.workers, threads=self.cfg.threads,
                    accesslog=self.cfg.accesslog, app=self.load())

    monkeypatch.setattr(serve.Server, "run", fake_run)
    monkeypatch.setenv("PORT", "8123")
    settings.VAR_DIR = tmp_path / "var"
    call_command("serve")
    from referee.wsgi import application

    assert seen == {"bind": ["127.0.0.1:8123"], "workers": 2, "threads": 8, "accesslog": "-", "app": application}
    assert settings.VAR_DIR.is_dir()
    call_command("serve", "--port", "9001", "--workers", "3")
    assert seen["bind"] == ["127.0.0.1:9001"] and seen["workers"] == 3


def test_serve_refuses_a_bad_port():
    with pytest.raises(CommandError, match="--port"):
        call_command("serve", "--port", "0")


def capture_gunicorn(monkeypatch):
    seen = {}

    def fake_run(self):
        seen.update(when_ready=self.cfg.when_ready, on_exit=self.cfg.on_exit)

    monkeypatch.setattr(serve.Server, "run", fake_run)
    return seen


def test_serve_starts_the_embedded_worker_and_beat_once_bound_and_stops_them_on_exit(monkeypatch, settings,
                                                                                      tmp_path):
    seen = capture_gunicorn(monkeypatch)
    started, stopped = [], []
    monkeypatch.setattr(serve.EmbeddedWorker, "start", lambda self: started.append(self))
    monkeypatch.setattr(serve.EmbeddedWorker, "stop", lambda self: stopped.append(self))
    settings.VAR_DIR, settings.REFEREE_EMBEDDED_WORKER = tmp_path, True
    call_command("serve", "--port", "8124", "--workers", "3")
    assert started == []  # not before gunicorn has bound its socket
    seen["when_ready"](None)
    seen["on_exit"](None)
    assert len(started) == 1 and stopped == started
    worker, beat = started[0].commands["worker"], started[0].commands["beat"]
    assert worker[1:] == ["-m", "celery", "-A", "referee", "worker", "--pool", "threads", "--concurrency", "4",
                          "--prefetch-multiplier", "4", "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
                          "--hostname", "embedded@%h"]
    assert beat[1:5] == ["-m", "celery", "-A", "referee"] and beat[5] == "beat"


def test_serve_without_the_embedded_worker(monkeypatch, settings, tmp_path):
    seen = capture_gunicorn(monkeypatch)
    settings.VAR_DIR, settings.REFEREE_EMBEDDED_WORKER = tmp_path, False
    call_command("serve", "--port", "8125")
    default = serve.Server({}).cfg
    assert seen["when_ready"] is default.when_ready and seen["on_exit"] is default.on_exit


@pytest.mark.parametrize(("host", "expected"), [("127.0.0.1", "http://127.0.0.1:9000"),
                                                ("0.0.0.0", "http://127.0.0.1:9000"),
                                                ("referee.example.org", "http://referee.example.org:9000"),
                                                ("::1", "http://[::1]:9000")])
def test_links_in_mail_follow_the_port_served_when_site_url_is_not_set(monkeypatch, settings, tmp_path, host,
                                                                       expected):
    """The web workers (forked) read the setting; the worker and beat get it in their environment."""
    seen = capture_gunicorn(monkeypatch)
    started = []
    monkeypatch.setattr(serve.EmbeddedWorker, "start", lambda self: started.append(self))
    monkeypatch.setenv("SITE_URL", "")
    settings.VAR_DIR, settings.REFEREE_EMBEDDED_WORKER = tmp_path, True
    call_command("serve", "--port", "9000", "--host", host)
    seen["when_ready"](None)
    assert settings.SITE_URL == started[0].env["SITE_URL"] == expected


def test_an_explicit_site_url_is_kept(monkeypatch, settings, tmp_path):
    seen = capture_gunicorn(monkeypatch)
    started = []
    monkeypatch.setattr(serve.EmbeddedWorker, "start", lambda self: started.append(self))
    monkeypatch.setenv("SITE_URL", "https://referee.example.org")
    settings.VAR_DIR, settings.SITE_URL, settings.REFEREE_EMBEDDED_WORKER = tmp_path, "https://referee.example.org", True
    call_command("serve", "--port", "9000")
    seen["when_ready"](None)
    assert settings.SITE_URL == started[0].env["SITE_URL"] == "https://referee.example.org"
