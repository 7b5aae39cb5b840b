"""EMAIL_URL parsing and the beat schedule of the outbox."""

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from referee.notifications.tasks import deliver_due_mail
from referee.settings import BASE_DIR, email_settings


def test_smtp_url_with_credentials_and_starttls():
    assert email_settings("smtp://us%40er:p%3Ass@mail.example.org:587?tls=1&timeout=5") == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.org", "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "us@er", "EMAIL_HOST_PASSWORD": "p:ss",
        "EMAIL_USE_TLS": True, "EMAIL_USE_SSL": False, "EMAIL_TIMEOUT": 5.0,
    }


def test_smtps_defaults_to_implicit_tls_on_465():
    config = email_settings("smtps://mx.example.org")
    assert (config["EMAIL_PORT"], config["EMAIL_USE_SSL"], config["EMAIL_USE_TLS"]) == (465, True, False)


@pytest.mark.parametrize("url, backend, path", [
    ("console://", "console", None),
    ("locmem://", "locmem", None),
    ("file:///srv/mail", "filebased", "/srv/mail"),
    ("file://var/mail", "filebased", str(BASE_DIR / "var" / "mail")),
])
def test_other_backends(url, backend, path):
    config = email_settings(url)
    assert config["EMAIL_BACKEND"] == f"django.core.mail.backends.{backend}.EmailBackend"
    assert config.get("EMAIL_FILE_PATH") == path


def test_unknown_scheme_is_refused():
    with pytest.raises(ImproperlyConfigured):
        email_settings("sendgrid://key")


def test_beat_sweeps_the_outbox_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["deliver-due-mail"]
    assert entry["task"] == deliver_due_mail.name and entry["schedule"] == 60
