"""PostgreSQL connections read timestamps with psycopg's compiled parser.

Django registers, for every connection, a pure-Python `timestamptz` loader that parses each value
with a regular expression and then sets the connection's time zone: about 20 µs a value, 7 ms of a
page of 100 batches (docs/benchmarks.md, "Third pass"). In a session whose TimeZone is UTC, as
Django sets it with `USE_TZ` and no database `TIME_ZONE`, psycopg's compiled loader returns the
same aware datetimes, in `datetime.timezone.utc`; elsewhere Django's loader stays."""

import datetime

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
