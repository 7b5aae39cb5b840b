"""Statements of constant shape, compiled once per process and run with each page's ids.

Django builds and compiles a queryset's SQL every time it runs it: 0.35-0.6 ms of Python for
each of the statements a page runs for its rows' related rows and figures (bench machine,
docs/benchmarks.md, "Thirteenth pass"), most of the time a reviewer's one-profile page spends.
Where the only input that changes between runs is the list of ids given to `__any_of`, the text
does not change either on PostgreSQL (`any_of` binds the whole list as one parameter), so it is
compiled once per process for each statement and the page's ids are bound in the stand-in's
place. SQLite writes one placeholder per id: there, every run compiles.

What makes this sound is the key: `rows_for(key, build, ids)` keeps the compiled statement under
(`key`, database, time zone), and `key` must name everything `build` reads besides the ids (its
module-level querysets, a serializer class, parameters computed for the request). Visibility
rules never go through here: a statement of the user's rows depends on the user. The tests run
with `VERIFY` on, so that every run also compiles afresh and must give the kept text and the same
parameters (tests/conftest.py)."""

from django.db import connections, router
from django.utils import timezone

# The stand-in list compiled in place of a page's ids: a bigint no table uses as a key.
STAND_IN = -7_318_256_394_125_470_211
VERIFY = False  # compile every run too, and compare (set by the test suite)
MAX_STATEMENTS = 128

_compiled: dict = {}  # (key, database, time zone) → Compiled


class Compiled:
    """A statement's SQL, its parameters with the ids' place, and the converters of its columns."""

    def __init__(self, queryset, ids):
        compiler = queryset.query.get_compiler(using=queryset.db)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        places = [index for index, param in enumerate(self.params) if param == ids]
        if len(places) != 1:  # the ids are not one parameter (SQLite; no __any_of)
            raise NotOneParameter
        self.place = places[0]
        self.converters = [
            (index, list(functions), expression)
            for index, (functions, expression) in compiler.get_converters(
                [column[0] for column in compiler.select[: compiler.col_count]]).items()]

    def params_for(self, ids: list) -> list:
        params = list(self.params)
        params[self.place] = ids
        return params


class NotOneParameter(Exception):  # noqa: N818 - a signal to compile each run, not an error
    pass


def rows_for(key, model, build, ids: list[int]) -> list[tuple]:
    """The rows (tuples) of `build(ids)`, a values_list queryset of `model` filtering
    `__any_of=ids` (a list of ints); [] for no ids, as `any_of` gives. Compiled once per `key`
    where the database allows; `build` then runs only to compile (and with VERIFY)."""
    if not ids:
        return []
    database = router.db_for_read(model)
    connection = connections[database]
    if connection.vendor != "postgresql":
        return list(build(ids))
    cache_key = (key, database, timezone.get_current_timezone_name())
    compiled = _compiled.get(cache_key)
    if compiled is None or VERIFY:
        try:
            fresh = Compiled(build([STAND_IN]), [STAND_IN])
        except NotOneParameter:
            return list(build(ids))
        if compiled is not None and (fresh.sql, fresh.params) != (compiled.sql, compiled.params):
            raise AssertionError(f"the statement kept under {key!r} depends on more than its key:\n"
                                 f"{compiled.sql} {compiled.params}\n≠\n{fresh.sql} {fresh.params}")
        if compiled is None:
            if len(_compiled) >= MAX_STATEMENTS:
                _compiled.clear()
            compiled = _compiled[cache_key] = fresh
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, compiled.params_for(list(ids)))
        rows = cursor.fetchall()
    if not compiled.converters:
        return rows
    return [_converted(row, compiled.converters, connection) for row in rows]


def _converted(row, converters, connection) -> tuple:
    row = list(row)
    for index, functions, expression in converters:
        value = row[index]
        for function in functions:
            value = function(value, expression, connection)
        row[index] = value
    return tuple(row)
