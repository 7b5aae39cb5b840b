"""Queueing mail: render now, in the caller's transaction; deliver after commit (§6, Outbox).

Rendering at queue time means the mail says what was true when the cause happened, and a rolled
back cause leaves neither a row nor a delivery behind."""

import re
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone

from referee.notifications import ics
from referee.notifications.models import OutboxMessage
from referee.notifications.tasks import deliver_outbox

SUBJECT_MAX = OutboxMessage._meta.get_field("subject").max_length


def when(moment: datetime | None) -> str:
    """The one date format of every mail: `2026-03-10 12:00 UTC`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def iso(moment: datetime | None) -> str:
    """Timestamps inside dedupe keys: UTC, microseconds kept so distinct moments stay distinct."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else ""


def link(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def render(template_key: str, context: dict) -> tuple[str, str, str]:
    """(subject, text, html) from `notifications/<key>/…`; REFEREE_TEMPLATE_DIRS come first."""
    context = {"site_url": settings.SITE_URL, **context}

    def text(name):
        # Plain-text parts must not be HTML-escaped; the Django engine escapes by default.
        template = get_template(f"notifications/{template_key}/{name}").template
        return template.render(Context(context, autoescape=False))

    subject = " ".join(text("subject.txt").split())[:SUBJECT_MAX]
    html = get_template(f"notifications/{template_key}/body.html").render({**context, "subject": subject})
    return subject, tidy(text("body.txt")), html.strip() + "\n"


def tidy(text: str) -> str:
    """Template tags on their own lines leave blank lines behind: keep at most one in a row, so
    templates (and deployments' overrides) can be written for readability."""
    lines = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return re.sub(r"\n{3,}", "\n\n", lines) + "\n"


def recipients(addresses) -> list[str]:
    """Non-empty addresses, each once, in the given order."""
    return list(dict.fromkeys(a.strip() for a in addresses if a and a.strip()))


def queue_mail(template_key: str, *, to: list[str], context: dict, dedupe_key: str,
               event: ics.Event | None = None) -> OutboxMessage | None:
    """Insert one rendered mail unless `dedupe_key` was queued before; None if skipped.

    Runs inside the caller's transaction; delivery is scheduled for after its commit."""
    to = recipients(to)
    if not to:
        return None
    subject, body_text, body_html = render(template_key, context)
    attachments = []
    if event is not None:
        attachments.append({"filename": ics.FILENAME, "content": event.render(timezone.now()),
                            "mimetype": ics.MIMETYPE})
    message = OutboxMessage(dedupe_key=dedupe_key, template=template_key, to=to, subject=subject,
                            body_text=body_text, body_html=body_html, attachments=attachments)
    try:
        # The savepoint keeps the caller's transaction usable when the key already exists
        # (on PostgreSQL a failed INSERT would otherwise abort the whole transaction).
        with transaction.atomic():
            message.save()
    except IntegrityError:
        if not OutboxMessage.objects.filter(dedupe_key=dedupe_key).exists():
            raise
        return None
    # robust: if the broker is unreachable the error is logged, not raised into the committed
    # caller; the row stays queued and the minute sweep sends it.
    transaction.on_commit(lambda: deliver_outbox.delay(message.pk), robust=True)
    return message
