"""PostgreSQL connections (referee.core.database, referee.settings): timestamps parsed by psycopg's
compiled loader read back as the aware UTC datetimes Django's own loader gives; code constants
reach PostgreSQL as literals; connections persist."""

import uuid
from datetime import UTC, datetime

import pytest
from django.db import connection, models

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


@pytest.mark.parametrize("value, seconds", [(None, None), ("", None), ("none", None), (" None ", None),
                                            ("0", 0), ("600", 600)])
def test_connections_persist_unless_an_age_is_set(monkeypatch, value, seconds):
    from referee.settings import _conn_max_age

    if value is None:
        monkeypatch.delenv("CONN_MAX_AGE", raising=False)
    else:
        monkeypatch.setenv("CONN_MAX_AGE", value)
    assert _conn_max_age() == seconds


def test_a_connection_age_that_is_not_a_number_is_refused(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from referee.settings import _conn_max_age

    monkeypatch.setenv("CONN_MAX_AGE", "forever")
    with pytest.raises(ImproperlyConfigured, match="CONN_MAX_AGE must be a number of seconds or 'none'"):
        _conn_max_age()


def test_postgresql_connections_are_checked_before_reuse():
    from django.conf import settings

    if connection.vendor != "postgresql":
        return  # the embedded SQLite file needs no check
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


class Mood(models.TextChoices):
    PLAIN = "in_review"
    DONE = "submitted"
    QUOTED = "it's"


class Level(models.IntegerChoices):
    HIGH = 3


def test_only_enum_members_of_plain_words_become_literals():
    from referee.core.database import _literal

    assert [_literal(value) for value in (Mood.PLAIN, Level.HIGH, Mood.QUOTED, "in_review", 3, None)] == [
        "'in_review'", "3", None, None, None, None]


@pytest.mark.django_db
def test_constants_reach_postgresql_as_literals_and_the_rest_as_parameters():
    if connection.vendor != "postgresql":
        return  # SQLite: statements are not prepared, nothing is rewritten
    reached = []

    def record(execute, sql, params, many, context):
        reached.append((sql, list(params)))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record), connection.cursor() as cursor:
        cursor.execute("SELECT '100%%', %s, %s, %s", [Mood.PLAIN, "it's", Level.HIGH])
        assert cursor.fetchone() == ("100%", "in_review", "it's", 3)
    assert reached == [("SELECT '100%%', 'in_review', %s, 3", ["it's"])]


@pytest.mark.django_db
def test_a_statement_of_constants_is_planned_once():
    """Its parameters were all constants: prepared on its second run, it keeps one generic plan."""
    if connection.vendor != "postgresql":
        return
    query = AuditEvent.objects.filter(object_type=Mood.PLAIN, event_type__in=[Mood.PLAIN, Mood.DONE]).order_by()
    for _ in range(4):  # psycopg prepares it on its second run
        list(query.values_list("pk"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT generic_plans, custom_plans, statement FROM pg_prepared_statements "
                       "WHERE statement LIKE %s", ["%core_auditevent%'in_review'%"])
        (generic, custom, statement), = cursor.fetchall()
    assert "$1" not in statement
    assert (generic, custom) == (3, 0)
