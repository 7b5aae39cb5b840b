"""Statements of constant shape, compiled once per process and run with each request's input.

Django builds and compiles a queryset's SQL every time it runs it: 0.35-0.6 ms of Python for
each of the statements a page runs for its rows' related rows and figures (bench machine,
docs/benchmarks.md, "Thirteenth pass"), about half the Python of a reviewer's one-profile page.
Where the only input that changes between runs is one parameter (the list of ids given to
`__any_of`, which binds the whole list as one parameter on PostgreSQL, or one key), the text does
not change either, so it is compiled once per process with a stand-in for that input, and each
run binds its own value in the stand-in's place. SQLite writes one placeholder per id: there, a
statement of ids compiles every run.

What makes this sound is the key: `rows_for(key, model, build, value)` keeps the compiled
statement under (`key`, database, time zone), and `key` must name everything `build` reads besides
`value` (its module-level querysets, a serializer class, parameters computed for the request).
The tests run with `VERIFY` on, so that every run also compiles afresh and must give the kept
text and the same parameters (tests/conftest.py): a key that missed an input would otherwise hand
one caller the SQL built for another."""

from django.db import connections, router
from django.utils import timezone

# Stand-ins compiled in place of the input: a bigint no table uses as a key, and a text no
# token or name has.
STAND_IN = -7_318_256_394_125_470_211
STAND_IN_TEXT = "referee:stand-in:7318256394125470211"
VERIFY = False  # compile every run too, and compare (set by the test suite)
MAX_STATEMENTS = 128

_compiled: dict = {}  # (key, database, time zone) → Compiled


class Compiled:
    """A statement's SQL, its parameters with the input's place, and its columns' converters."""

    def __init__(self, queryset, stand_in):
        compiler = queryset.query.get_compiler(using=queryset.db)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        places = [index for index, param in enumerate(self.params) if param == stand_in]
        if len(places) != 1:  # the input is not one parameter (no `__any_of`, or read twice)
            raise NotOneParameter
        self.place = places[0]
        self.converters = [
            (index, list(functions), expression)
            for index, (functions, expression) in compiler.get_converters(
                [column[0] for column in compiler.select[: compiler.col_count]]).items()]

    def params_for(self, value) -> list:
        params = list(self.params)
        params[self.place] = value
        return params


class NotOneParameter(Exception):  # noqa: N818 - a signal to compile each run, not an error
    pass


def stand_in_for(value):
    if isinstance(value, list):
        return [STAND_IN]
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"rows_for binds a list of ids, an int or a str, not {type(value).__name__}")
    return STAND_IN if isinstance(value, int) else STAND_IN_TEXT


def rows_for(key, model, build, value) -> list[tuple]:
    """The rows (tuples) of `build(value)`, a values_list queryset of `model`, `value` being a list
    of ints given to `__any_of` ([] for none, as `any_of` gives, with no query) or one int or str.
    Compiled once per `key` where the database allows; `build` then runs only to compile (and,
    with VERIFY, to compare)."""
    if isinstance(value, list) and not value:
        return []
    stand_in = stand_in_for(value)
    database = router.db_for_read(model)
    connection = connections[database]
    if connection.vendor != "postgresql" and isinstance(value, list):
        return list(build(value))
    cache_key = (key, database, timezone.get_current_timezone_name())
    compiled = _compiled.get(cache_key)
    if compiled is None or VERIFY:
        try:
            fresh = Compiled(build(stand_in), stand_in)
        except NotOneParameter:
            return list(build(value))
        if compiled is not None and (fresh.sql, fresh.params) != (compiled.sql, compiled.params):
            raise AssertionError(f"the statement kept under {key!r} depends on more than its key:\n"
                                 f"{compiled.sql} {compiled.params}\n≠\n{fresh.sql} {fresh.params}")
        if compiled is None:
            if len(_compiled) >= MAX_STATEMENTS:
                _compiled.clear()
            compiled = _compiled[cache_key] = fresh
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, compiled.params_for(list(value) if isinstance(value, list) else value))
        rows = cursor.fetchall()
    if not compiled.converters:
        return rows
    return [_converted(row, compiled.converters, connection) for row in rows]


def _converted(row, converters, connection) -> tuple:
    # Django's `apply_converters` is a compiler's method and passes that compiler's connection;
    # the kept compiler's belongs to the thread that compiled it, so this run's is passed instead.
    row = list(row)
    for index, functions, expression in converters:
        value = row[index]
        for function in functions:
            value = function(value, expression, connection)
        row[index] = value
    return tuple(row)
