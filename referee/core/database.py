"""PostgreSQL connections: timestamps read with psycopg's compiled parser, and code constants
written into the SQL.

Django registers, for every connection, a pure-Python `timestamptz` loader that parses each value
with a regular expression and then sets the connection's time zone: about 20 µs a value, 7 ms of a
page of 100 batches (docs/benchmarks.md, "Third pass"). In a session whose TimeZone is UTC, as
Django sets it with `USE_TZ` and no database `TIME_ZONE`, psycopg's compiled loader returns the
same aware datetimes, in `datetime.timezone.utc`; elsewhere Django's loader stays."""

import datetime
import re

from django.db.models import Choices
from psycopg import adapt, postgres
from psycopg.pq import Format

TIMESTAMPTZ = postgres.types["timestamptz"].oid
# psycopg's default for text timestamptz: its compiled loader with psycopg[binary] or [c].
PSYCOPG_LOADER = postgres.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)


class CompiledTimestamptzLoader(adapt.Loader):
    """psycopg's compiled loader (`adapters` hands out its C version of `TimestamptzLoader`),
    wrapped because the compiled class can be neither subclassed nor given the `timezone`
    attribute that Django compares with the connection's on every new cursor."""

    timezone = datetime.UTC

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        self.compiled = PSYCOPG_LOADER(oid, context)
        self.load = self.compiled.load  # called per value: skip the method below

    def load(self, data):
        return self.compiled.load(data)


def use_compiled_timestamp_loader(sender, connection, **kwargs) -> None:
    """`connection_created` receiver."""
    if connection.vendor != "postgresql" or connection.timezone is not datetime.UTC:
        return
    if connection.connection.info.parameter_status("TimeZone") == "UTC":
        connection.connection.adapters.register_loader("timestamptz", CompiledTimestamptzLoader)


# `%s` placeholders and `%%` escapes, as Django writes them for psycopg.
PLACEHOLDER = re.compile(r"%[%s]")
# What a constant written as a literal may contain: the enums' values are words.
PLAIN_CONSTANT = re.compile(r"[\w .:/-]*")


def _literal(value) -> str | None:
    """A `models.Choices` member (a value the code names, never the caller's input) as SQL text,
    or None for any other parameter."""
    if not isinstance(value, Choices):
        return None
    if isinstance(value, int):
        return str(int(value))
    text = str(value)
    return f"'{text}'" if PLAIN_CONSTANT.fullmatch(text) else None


def constants_as_literals(execute, sql, params, many, context):
    """Execute wrapper: the enum members among a statement's parameters are written into its text.

    Statements are prepared (`server_side_binding`), and PostgreSQL plans a prepared statement
    for its parameters' values each time until a generic plan costs no more than those: a
    parameter that is in fact a constant (`status = 'pending'` in a count subquery) makes the
    generic plan look worse, so the wide list queries were planned on every request (2-7 ms).
    Written as literals, a statement whose only parameters were constants has none left and is
    planned once per connection; the others give the generic plan the same facts as the custom
    ones. The text and the values are the same SQL, so results cannot change."""
    if many or not params or isinstance(params, dict) or not any(isinstance(p, Choices) for p in params):
        return execute(sql, params, many, context)
    values, kept = iter(params), []

    def substitute(match):
        if match.group() == "%%":
            return "%%"
        value = next(values)
        literal = _literal(value)
        if literal is None:
            kept.append(value)
            return "%s"
        return literal

    # `kept` stays a list even when empty: psycopg then still reads `%%` as an escaped `%`.
    return execute(PLACEHOLDER.sub(substitute, sql), kept, many, context)


def write_constants_as_literals(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: on PostgreSQL with prepared statements (referee.settings)."""
    if connection.vendor != "postgresql" or not connection.settings_dict["OPTIONS"].get("server_side_binding"):
        return
    if constants_as_literals not in connection.execute_wrappers:  # the list outlives a reconnection
        # First, not last: `connection.execute_wrapper(...)` blocks pop the last wrapper on exit.
        connection.execute_wrappers.insert(0, constants_as_literals)
