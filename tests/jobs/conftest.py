"""Fixtures of the periodic job tests: one frozen clock that each test moves to a boundary."""

from datetime import UTC, datetime

import pytest

from referee.core.models import AuditEvent
from referee.notifications.models import OutboxMessage

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock(time_machine):
    """`clock.move_to(moment)`: the time every job and action sees (never ticking on its own)."""
    time_machine.move_to(NOW, tick=False)
    return time_machine


def mail(template) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(template=template).order_by("id"))


def events(event_type) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("id"))
