"""Statements of constant shape, compiled once per process and run with each request's input.

Django builds and compiles a queryset's SQL every time it runs it: 0.35-0.6 ms of Python for
each of the statements a page runs for its rows' related rows and figures (bench machine,
docs/benchmarks.md, "Thirteenth pass"), about half the Python of a reviewer's one-profile page.
Where the only inputs that change between runs are parameters (the list of ids given to
`__any_of`, which binds the whole list as one parameter on PostgreSQL, a key, a user's id), the
text does not change either, so it is compiled once per process with a stand-in for each input,
and each run binds its own values in the stand-ins' places (an input read in several places, such
as the user of a visibility rule, in each). SQLite writes one placeholder per id: there, a
statement of ids compiles every run.

What makes this sound is the key: `rows_for(key, model, build, value)` keeps the compiled
statement under (`key`, database, time zone), and `key` must name everything `build` reads besides
`value` (its module-level querysets, a serializer class, parameters computed for the request).
The tests run with `VERIFY` on (tests/conftest.py): every run also compiles `build` of its own
inputs, which must give the kept text with this run's inputs bound, so a key that missed
something, or an input that reaches the SQL changed (a pattern made of a text), fails the test
that meets it instead of handing one caller the SQL built for another."""

from django.db import connections, router
from django.utils import timezone

# Stand-ins compiled in place of the inputs: bigints no table uses as a key, and texts no token
# or name has (one each for the first, second, ... input; the bigints far apart, so that an input
# changed by a little, which VERIFY catches, does not pass for another input).
STAND_IN = -7_318_256_394_125_470_211
STAND_IN_STEP = 1_000_000_000_007
STAND_IN_TEXT = "referee:stand-in:7318256394125470211"
VERIFY = False  # compile every run too, with the run's inputs, and compare (set by the test suite)
MAX_STATEMENTS = 128

_compiled: dict = {}  # (key, database, time zone) → Compiled, or NOT_KEPT
NOT_KEPT = object()  # a key whose statement binds an input otherwise than as a parameter of its own


class Compiled:
    """A statement's SQL, its parameters with the places of the inputs, and its columns' converters."""

    def __init__(self, queryset, stand_ins: tuple):
        compiler = queryset.query.get_compiler(using=queryset.db)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        # (parameter's index, input's order): an input read in several places is bound in each.
        self.places = [(index, order) for index, param in enumerate(self.params)
                       for order, stand_in in enumerate(stand_ins) if param == stand_in]
        if {order for _, order in self.places} != set(range(len(stand_ins))):
            raise NotAParameter  # an input is not a parameter of its own (no `__any_of`, a pattern)
        self.converters = [
            (index, list(functions), expression)
            for index, (functions, expression) in compiler.get_converters(
                [column[0] for column in compiler.select[: compiler.col_count]]).items()]

    def params_for(self, inputs: tuple) -> list:
        params = list(self.params)
        for index, order in self.places:
            value = inputs[order]
            params[index] = list(value) if isinstance(value, list) else value
        return params


class NotAParameter(Exception):  # noqa: N818 - a signal to compile each run, not an error
    pass


def stand_in_for(value, order: int = 0):
    """The stand-in of one input, the `order`-th of a statement's inputs."""
    if isinstance(value, list):
        return [STAND_IN + order * STAND_IN_STEP]
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"rows_for binds lists of ids, ints and strs, not {type(value).__name__}")
    return STAND_IN + order * STAND_IN_STEP if isinstance(value, int) else f"{STAND_IN_TEXT}:{order}"


def rows_for(key, model, build, value) -> list[tuple]:
    """The rows (tuples) of `build(value)`, a values_list queryset of `model`. `value` is one input
    or a tuple of several (then `build` takes the tuple): a list of ints given to `__any_of`, an
    int or a str. A lone list may be empty ([], as `any_of` gives, with no query). Compiled once per
    `key` where the database allows; `build` then runs only to compile (and, with VERIFY, to
    compare)."""
    if isinstance(value, list) and not value:
        return []
    inputs = value if isinstance(value, tuple) else (value,)
    stand_ins = tuple(stand_in_for(part, order) for order, part in enumerate(inputs))
    database = router.db_for_read(model)
    connection = connections[database]
    if any(isinstance(part, list) and (connection.vendor != "postgresql" or not part) for part in inputs):
        return list(build(value))  # one placeholder per id (SQLite), or no ids: built each run
    cache_key = (key, database, timezone.get_current_timezone_name())
    compiled = _compiled.get(cache_key)
    if compiled is None:
        try:
            compiled = Compiled(build(stand_ins if isinstance(value, tuple) else stand_ins[0]), stand_ins)
        except NotAParameter:
            compiled = NOT_KEPT  # built each run from now on, without compiling the stand-ins again
        if len(_compiled) >= MAX_STATEMENTS:
            _compiled.clear()
        _compiled[cache_key] = compiled
    if compiled is NOT_KEPT:
        return list(build(value))
    params = compiled.params_for(inputs)
    if VERIFY:
        _verify(key, compiled, params, build(value))
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        rows = cursor.fetchall()
    if not compiled.converters:
        return rows
    return [_converted(row, compiled.converters, connection) for row in rows]


def _verify(key, compiled: Compiled, params: list, fresh) -> None:
    """The kept statement, with this run's inputs bound, is the one Django compiles for them: else
    the key misses something the statement reads, or an input reaches the SQL changed."""
    sql, fresh_params = fresh.query.get_compiler(using=fresh.db).as_sql()
    if (sql, list(fresh_params)) != (compiled.sql, params):
        raise AssertionError(f"the statement kept under {key!r} is not the one compiled for this run's inputs "
                             f"(its key misses something it reads, or an input reaches the SQL changed):\n"
                             f"{compiled.sql} {params}\n≠\n{sql} {list(fresh_params)}")


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
