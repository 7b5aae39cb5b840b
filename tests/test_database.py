"""PostgreSQL connections parse timestamps with psycopg's compiled loader (referee.core.database):
the values read back are the aware UTC datetimes Django's own loader gives."""

import uuid
from datetime import UTC, datetime

import pytest
from django.db import connection

from referee.core.models import AuditEvent

# Other offsets, the extremes, fractions of every length: as PostgreSQL sends them in a UTC session.
MOMENTS = ["2026-12-03 13:41:55.5+02", "2026-12-03 11:41:55.123456+00", "0001-01-01 00:00:00+00",
           "9999-12-31 23:59:59.999999+00", "2026-03-29 01:30:00.07-09:30"]


@pytest.mark.django_db
def test_timestamps_read_back_aware_in_utc():
    moment = datetime(2026, 12, 3, 11, 41, 55, 123456, tzinfo=UTC)
    event = AuditEvent.objects.create(created=moment, event_type="x.done", object_type="x", object_uuid=uuid.uuid4())
    read = AuditEvent.objects.get(pk=event.pk).created
    assert read == moment and read.tzinfo is UTC
    if connection.vendor != "postgresql":
        return  # SQLite: Django's own converters
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader  # needs psycopg

    from referee.core.database import CompiledTimestamptzLoader

    columns = ", ".join(f"'{text}'::timestamptz, '{text}'::timestamptz::text" for text in MOMENTS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}")
        row = cursor.fetchone()
        assert connection.connection.adapters.get_loader(1184, 0) is CompiledTimestamptzLoader

        class DjangosLoader(BaseTzLoader):
            timezone = UTC

        djangos = DjangosLoader(1184, cursor.cursor)
    for value, sent in zip(row[::2], row[1::2], strict=True):
        assert value == djangos.load(sent.encode()) and value.tzinfo is UTC, sent
