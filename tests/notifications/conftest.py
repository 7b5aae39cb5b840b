"""Fixtures of the mail tests: a frozen clock, a call with fixed names and ids (so rendered mail is
stable), snapshot comparison and a real SMTP server on localhost."""

import asyncio
import email
import os
import socket
import time
from datetime import timedelta
from email import policy
from pathlib import Path
from types import SimpleNamespace
from uuid import UUID

import pytest
from aiosmtpd.controller import Controller

from tests import factories as f
from tests.helpers import MAIL_NOW

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.fixture
def clock(clock):
    """The shared frozen clock, standing at the moment the snapshots were rendered at."""
    clock.move_to(MAIL_NOW)
    return clock


@pytest.fixture
def mailworld(db, clock):
    """Call "Ocean Science 2026" with two managers, reviewer Rita with a sent batch of three items
    (two pending, one coi_blocked) and a second accepted reviewer, Sam."""
    w = SimpleNamespace()
    w.manager = f.user("maria", first_name="Maria", last_name="Manager", email="maria@example.org")
    w.manager2 = f.user("mo", first_name="Mo", last_name="Second", email="mo@example.org")
    w.rita = f.user("rita", first_name="Rita", last_name="Reviewer", email="rita@example.org")
    w.sam = f.user("sam", first_name="Sam", last_name="Sailor", email="sam@example.org")
    w.call = f.call(managers=[w.manager, w.manager2], name="Ocean Science 2026", slug="ocean-2026",
                    uuid=UUID("0c0ffee0000000000000000000000001"))
    round_ = f.round_(w.call, name="Spring")
    texts = [
        ("Deep currents & <eddies>", "Eddies move heat.", "We deploy 40 floats in the Agulhas current."),
        ("Kelp forests", "Kelp stores carbon.", "Five years of kelp biomass surveys."),
        ("Coral bleaching", "SECRET coral summary", "SECRET coral description"),
    ]
    w.proposals = [f.proposal(round_, name=n, slug=f"p{i}", project_summary=s, description=d)
                   for i, (n, s, d) in enumerate(texts)]
    w.entry = f.pool_entry(w.call, f.profile(w.rita), uuid=UUID("e0000000000000000000000000000001"),
                           invited_by=w.manager, invitation_token="ab" * 32,
                           invitation_expires_at=MAIL_NOW + timedelta(days=7),
                           invitation_message="We would value your view on\nocean physics.")
    w.sam_entry = f.pool_entry(w.call, f.profile(w.sam))
    w.batch = f.batch(w.entry, status="sent", uuid=UUID("ba000000000000000000000000000001"),
                      sent_at=MAIL_NOW, expires_at=MAIL_NOW + timedelta(days=7),
                      manager_notes="Please focus on feasibility.\nThank you!")
    w.items = [
        f.item(w.batch, w.proposals[0], affinity_score=0.9, uuid=UUID("10000000000000000000000000000001")),
        f.item(w.batch, w.proposals[1], affinity_score=0.5, uuid=UUID("10000000000000000000000000000002")),
        f.item(w.batch, w.proposals[2], status="coi_blocked", affinity_score=0.7,
               uuid=UUID("10000000000000000000000000000003")),
    ]
    return w


def as_snapshot(message) -> str:
    """An OutboxMessage as one readable text: headers, plain body, then each attachment."""
    parts = [f"To: {', '.join(message.to)}", f"Subject: {message.subject}", f"Dedupe-Key: {message.dedupe_key}",
             "", message.body_text]
    for attachment in message.attachments:
        parts += [f"--- {attachment['filename']} ({attachment['mimetype']}) ---",
                  attachment["content"].replace("\r\n", "\n")]
    return "\n".join(parts)


@pytest.fixture
def snapshot():
    """`snapshot(name, text)` compares with snapshots/<name>; UPDATE_SNAPSHOTS=1 rewrites the file."""

    def check(name: str, text: str):
        path = SNAPSHOTS / name
        if os.environ.get("UPDATE_SNAPSHOTS") == "1":
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert path.exists(), f"missing snapshot {path.name}; run with UPDATE_SNAPSHOTS=1 and review it"
        assert text == path.read_text(encoding="utf-8"), f"{path.name} differs (UPDATE_SNAPSHOTS=1 rewrites it)"

    return check


class SmtpSink:
    """aiosmtpd handler keeping every accepted message; `delay` slows acceptance down."""

    def __init__(self):
        self.messages = []
        self.received_at = []  # time.time() of each message's acceptance, in step with `messages`
        self.delay = 0.0

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        self.received_at.append(time.time())
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int):
        self.port = port
        self.sink = SmtpSink()
        self.controller = None

    @property
    def messages(self):
        return self.sink.messages

    @property
    def received_at(self):
        return self.sink.received_at

    def start(self):
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """Django's SMTP backend pointed at a free localhost port; the server is down until `start()`."""
    server = SmtpServer(free_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()
