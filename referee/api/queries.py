"""Query expressions shared by the list querysets: visibility rules, counts of related rows, and
a page's related rows read in one query (as instances, or rendered)."""

from collections import defaultdict
from operator import attrgetter

from django.db import models
from django.db.models import BooleanField, F, Func, IntegerField, Subquery, Value

from referee.api.columns import rows_by
from referee.api.json_sql import row_texts
from referee.api.renderers import JSONArray
from referee.api.rows import Rendered
from referee.core.models import User
from referee.core.statements import rows_for


def person_columns(path: str) -> tuple[str, ...]:
    """The `only()` names of the user at `path` as a list row shows one: its uuid (links, uuids)
    and the columns its name is made of (`User.full_name`). A user's other columns (the password
    hash, flags, dates) were read and converted on every row for nothing."""
    return (f"{path}__uuid", *(f"{path}__{column}" for column in User.full_name.columns))


class InSubquery(Func):
    """`column IN (subquery)` that PostgreSQL can read from the column's index inside an OR.

    Written `column = ANY(ARRAY(subquery))`, the subquery runs once, before the scan, and its
    few values (the caller's own pool entries, profile, teams, ...) become an index condition, so
    `branch OR branch` is a BitmapOr of index scans. Plain `IN (subquery)` under an OR is a filter
    evaluated on every row of the table. Use it only for subqueries of a handful of rows (the
    values are compared one by one) and on columns of many distinct values: the planner guesses
    about ten values, which on a column of ten distinct calls would read as most of the table.
    SQLite keeps `IN (subquery)`."""

    output_field = BooleanField()
    arg_joiner = " IN "
    template = "(%(expressions)s)"

    def __init__(self, column: str, subquery, **extra):
        super().__init__(F(column), subquery.order_by(), **extra)  # a model's default order would sort it

    def as_sql(self, compiler, connection, arg_joiner=None, template=None, **extra):
        # Func would compile a subquery that can match nothing (`id__in=[]`) to NULL, giving
        # `column IN NULL` (`= ANY(ARRAYNULL)` here): let EmptyResultSet through instead, which
        # the WHERE clause reads as "matches nothing" (and drops from an OR).
        column, subquery = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        subquery_sql, subquery_params = compiler.compile(subquery)
        sql = (template or self.template) % {"expressions": f"{column_sql}{arg_joiner or self.arg_joiner}{subquery_sql}"}
        return sql, (*column_params, *subquery_params)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, arg_joiner=" = ANY(ARRAY", template="(%(expressions)s))", **extra)


class PackedCountsField(models.Field):
    """Output field of `packed_counts`: the database's text "n1,n2,…" read back as `counts`,
    a NamedTuple of ints."""

    def __init__(self, counts, **kwargs):
        self.counts = counts
        super().__init__(**kwargs)

    def from_db_value(self, value, expression, connection):
        return self.counts(*map(int, value.split(",")))


def _counted(field: str, value) -> Func:
    """COUNT(*) of the subquery's rows, or of those whose `field` is `value` when it is not None
    (an SQL FILTER clause, which both PostgreSQL and SQLite read)."""
    if value is None:
        return Func(template="COUNT(*)", output_field=IntegerField())
    return Func(F(field), Value(value), template="COUNT(*) FILTER (WHERE %(expressions)s)", arg_joiner=" = ",
                output_field=IntegerField())


def packed_counts(queryset, field: str, values, counts) -> Subquery:
    """`(SELECT COUNT(*) [FILTER (WHERE field = value)] || ',' || … FROM queryset)`, one count per
    value (None: every row), read as the NamedTuple `counts`; `queryset` is correlated with
    OuterRef. One correlated subquery rather than one per count, or a JOIN … GROUP BY: PostgreSQL
    reads each row's related rows once, and only for the rows it returns (the page, after ORDER BY
    … LIMIT); `count()` leaves it out. COUNT is written as a plain function so that Django adds
    no GROUP BY: the subquery always yields one row ("0,0,…" for none). Built once per process
    by its callers: `annotate` resolves a copy (Django's expressions are not changed by use)."""
    packed = Func(*(_counted(field, value) for value in values), template="%(expressions)s",
                  arg_joiner=" || ',' || ", output_field=PackedCountsField(counts))
    return Subquery(queryset.order_by().annotate(counts=packed).values("counts"), output_field=PackedCountsField(counts))


def attach_rows(objects, to_attr: str, rows, key: str, value=None) -> None:
    """Set each object's `to_attr` to a list of the `rows` (a queryset) whose `key` is its pk, in
    the queryset's order, each as `value(row)` (the row itself by default); one query for a page,
    none when every object has them already. `rows` may be `values_list(..., named=True)`.

    Django's prefetch did the same at about four times the cost (11 ms for a page of 100
    profiles' three empty relations: a lookup of 100 instances and a queryset per object), and its
    `IN (…)` of 100 placeholders changed the statement with the page's length (core.lookups)."""
    owner_of, value = attrgetter(key), value or (lambda row: row)
    _attach(objects, to_attr, lambda ids: (list, ((owner_of(row), value(row)) for row in of_ids(rows, key, ids))))


def attach_values(objects, to_attr: str, rows, key: str, value) -> None:
    """attach_rows for a module-level `values_list` queryset whose first column is `key`, each row
    (a tuple) as `value(row)`: its statement is compiled once per process (core.statements)."""
    def pairs(ids):
        found = rows_for((attach_values, rows, key), rows.model, lambda ids: of_ids(rows, key, ids), ids)
        return list, ((row[0], value(row)) for row in found)

    _attach(objects, to_attr, pairs)


def attach_rendered(objects, to_attr: str, serializer, rows, key: str) -> None:
    """attach_rows, each row as the bound nested `serializer` (many=True, whose list class is
    api.rows.AttachedRowsSerializer) renders it, so that the serializer gives the rows back
    unchanged. On PostgreSQL, when every field has an SQL rendering, they come as the JSON texts
    the database wrote (a `JSONArray`: api.json_sql); else as `Rendered` rows, read from the
    columns (api.columns.rows_by) when its fields allow, else from instances. A page of 100
    reviewer profiles has about 900 nested rows: as instances they were most of the page's time."""
    def pairs(ids):
        texts = row_texts(serializer, rows, key, ids)
        if texts is not None:
            return JSONArray, texts
        from_columns = rows_by(serializer, of_ids(rows, key, ids), key)
        if from_columns is not None:
            return Rendered, from_columns
        owner_of, render = attrgetter(key), serializer.child.to_representation
        return Rendered, ((owner_of(row), render(row)) for row in of_ids(rows, key, ids))

    _attach(objects, to_attr, pairs)


def of_ids(rows, key: str, ids: list[int]):
    """The `rows` whose `key` is one of the page's `ids`."""
    return rows.filter(**{f"{key}__any_of": ids})


def _attach(objects, to_attr: str, pairs) -> None:
    """The objects missing `to_attr` get the values of `pairs(their pks)`, which gives the kind of
    list to collect them in and (owner's pk, value) in the queryset's order."""
    missing = [obj for obj in objects if not hasattr(obj, to_attr)]
    if not missing:
        return
    kind, found_pairs = pairs([obj.pk for obj in missing])
    found = defaultdict(kind)
    for owner, value in found_pairs:
        found[owner].append(value)
    for obj in missing:
        setattr(obj, to_attr, found[obj.pk])
