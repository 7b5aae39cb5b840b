"""A relation's rows rendered to JSON text by PostgreSQL, each as its serializer renders it.

A page of 100 reviewer profiles carries about 900 nested rows (affiliations, expertise and
publications with their abstracts). Read as columns and rendered in Python (referee.api.columns),
they were half of the page's Python time: converting each value to a Python object, then
rendering it back to text. Here PostgreSQL writes each row as one JSON object, in the
serializer's key order and with DRF's text for every value, and the response takes the texts as
they are (renderers.JSONArray).

A serializer is rendered this way only when every field has an SQL rendering known to give its
text: DRF's plain fields on a column of the model (`_plain`), a field's own `json_sql(row)`
(referee.api.fields), or a `reads` method that declares `sql` or reads nothing (a constant).
Otherwise `row_texts` answers None, before any query, and the caller keeps the Python paths. A
rendering may be exact only for some values (a DictField of texts, for objects of texts): such a
row comes back without text and is rendered by its serializer from the instance.

The SQL is written as text (one RawSQL), not as Django expressions: resolving and compiling
forty expression nodes cost more than PostgreSQL's work for a page. Related rows are read by
scalar subqueries, so the caller's queryset needs no join.

One difference is meant: a JSON column's value is written as PostgreSQL's jsonb text, with a
space after each colon and comma, and its numbers as jsonb keeps them (Python would have read
them as floats): the same JSON, not the same bytes. PostgreSQL only; SQLite keeps the Python paths."""

import re

from django.core.exceptions import FieldDoesNotExist
from django.db import connections
from django.db.models import TextField
from django.db.models.expressions import RawSQL
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.fields import Field
from rest_framework.settings import api_settings

from referee.api.columns import StandIn
from referee.api.renderers import json_bytes
from referee.core.statements import rows_for

# A key is written into the SQL text: only identifiers (no quote, no % for the driver).
KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
TEXTS = {"CharField", "TextField", "SlugField", "EmailField", "URLField"}
INTEGERS = {"IntegerField", "SmallIntegerField", "BigIntegerField", "PositiveIntegerField",
            "PositiveSmallIntegerField", "PositiveBigIntegerField"}


class Unreadable(Exception):  # noqa: N818 - a signal: this serializer keeps the Python paths
    """A source the SQL cannot read as DRF would."""


class Row:
    """The SQL of a row's values by dotted source path: the model's own columns, and through
    forward relations the columns of the related row (NULL when it is missing)."""

    def __init__(self, model, connection):
        self.model, self.quote = model, connection.ops.quote_name
        # The forward relations read (their fields on `model`), for triggers that keep a rendering
        # up to date (api.stored_rows); None once a path reaches beyond the related row.
        self.relations: set | None = set()

    def field(self, path: str):
        """The model field at the end of `path`."""
        return self._walk(path.split("."), self.model, self.quote(self.model._meta.db_table), 0)[1]

    def sql(self, path: str) -> str:
        return self._walk(path.split("."), self.model, self.quote(self.model._meta.db_table), 0)[0]

    def _walk(self, attrs, model, owner: str, depth: int):
        column = _column(model, attrs[0])
        if column is None:
            raise Unreadable(attrs[0])
        if len(attrs) == 1:
            return f"{owner}.{self.quote(column.column)}", column
        if not (column.many_to_one or column.one_to_one) or not column.concrete:
            raise Unreadable(attrs[0])
        related, alias = column.related_model, f"related_{depth}"
        if depth == 0 and self.relations is not None:
            self.relations.add(column)
        elif depth > 0:
            self.relations = None
        inner, last = self._walk(attrs[1:], related, alias, depth + 1)
        target, key = column.target_field.column, f"{owner}.{self.quote(column.column)}"
        # No subquery for a NULL key: it still scanned for a related row (a page of affiliations
        # with no organisation: 0.95 → 0.67 ms).
        sql = (f"CASE WHEN {key} IS NULL THEN NULL ELSE (SELECT {inner} FROM {self.quote(related._meta.db_table)} "
               f"{alias} WHERE {alias}.{self.quote(target)} = {key}) END")
        return sql, last


def _column(model, name: str):
    try:
        column = model._meta.get_field(name)  # a field's name or its column's (`organization_id`)
    except FieldDoesNotExist:  # an attribute or property: the SQL cannot read it
        return None
    return column if getattr(column, "concrete", False) else None


def value_json(sql: str) -> str:
    """The JSON text of a text, number, boolean or date (null for NULL): `to_json` escapes text as
    orjson does, and writes a date as `date.isoformat()`."""
    return f"COALESCE(to_json({sql})::text, 'null')"


def uuid_hex_json(sql: str) -> str:
    """A uuid as its 32 hex digits (UUID.hex), null for NULL: the hex of its 16 bytes, a third of
    the cost of removing the dashes from its text."""
    return f"""COALESCE('"' || encode(uuid_send({sql}), 'hex') || '"', 'null')"""


def datetime_json(sql: str) -> str:
    """A timestamp as DRF writes it in UTC: `isoformat()` with Z, the microseconds only when not
    zero (".000000" can only be the fraction: nothing else in the text has a dot)."""
    return (f"""COALESCE('"' || replace(to_char({sql} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), """
            f"""'.000000', '') || 'Z"', 'null')""")


def jsonb_json(sql: str) -> str:
    """A jsonb value as its own text (null for NULL)."""
    return f"COALESCE({sql}::text, 'null')"


def texts_only(sql: str) -> str:
    """DictField(child=CharField) writes `str(value)`: a jsonb object is its text when every
    value is a string or null."""
    return (f"""({sql} IS NULL OR jsonb_typeof({sql}) = 'null' OR (jsonb_typeof({sql}) = 'object' AND NOT """
            f"""jsonb_path_exists({sql}, '$.* ? (@.type() != "string" && @.type() != "null")')))""")


def _iso(field, setting) -> bool:
    output_format = getattr(field, "format", setting)
    return isinstance(output_format, str) and output_format.lower() == ISO_8601


def _in_utc(field) -> bool:
    zone = getattr(field, "timezone", None) or field.default_timezone()
    return getattr(zone, "key", str(zone)) in ("UTC", "Etc/UTC")


def _plain(field, column, sql: str):
    """(JSON text, condition or None) of a DRF field reading `column` (its SQL `sql`), or None."""
    kind, render = column.get_internal_type(), type(field).to_representation
    if render in (serializers.CharField.to_representation, serializers.ChoiceField.to_representation):
        # ChoiceField: a text value is its own choice's key (choice_strings_to_values), or itself.
        exact = kind in TEXTS and (render is serializers.CharField.to_representation
                                   or all(type(key) is str for key in field.choices))
        return (value_json(sql), None) if exact else None
    if ((render is serializers.IntegerField.to_representation and kind in INTEGERS)
            or (render is serializers.BooleanField.to_representation and kind == "BooleanField")
            or (render is serializers.DateField.to_representation and kind == "DateField"
                and _iso(field, api_settings.DATE_FORMAT))):
        return value_json(sql), None
    if (render is serializers.DateTimeField.to_representation and kind == "DateTimeField" and _in_utc(field)
            and type(field).enforce_timezone is serializers.DateTimeField.enforce_timezone
            and _iso(field, api_settings.DATETIME_FORMAT)):
        return datetime_json(sql), None
    if kind != "JSONField":
        return None
    if render is serializers.JSONField.to_representation and not field.binary:
        return jsonb_json(sql), None
    if (render is serializers.DictField.to_representation
            and type(field.child).to_representation is serializers.CharField.to_representation):
        return jsonb_json(sql), texts_only(sql)
    return None


def _method(field, serializer, row: Row, constants: list):
    """A `reads` method field: its declared `sql(row)` (SQL of the value), or, reading nothing of
    the instance, a parameter: its one value, computed for each request (`constants`)."""
    function = getattr(type(serializer), field.method_name, None)
    attributes = getattr(function, "reads", None)
    if attributes is None:
        return None
    if getattr(function, "sql", None) is not None:
        return value_json(function.sql(row)), None
    if attributes:
        return None
    constants.append(function)
    return "%s::text", None


def rendering(field, serializer, row: Row, constants: list):
    """(SQL of the field's JSON text, SQL condition for it to be exact or None), or None."""
    if isinstance(field, serializers.SerializerMethodField):
        return _method(field, serializer, row, constants)
    own = getattr(field, "json_sql", None)
    if own is not None:
        return own(row)
    if (isinstance(field, serializers.BaseSerializer) or type(field).get_attribute is not Field.get_attribute
            or len(field.source_attrs) != 1):
        return None  # DRF answers a missing related object by a default, null or a skipped key
    column = _column(row.model, field.source_attrs[0])
    if column is None or column.is_relation:
        return None
    return _plain(field, column, row.sql(field.source_attrs[0]))


def row_object(serializer, model, connection) -> RawSQL | None:
    """The SQL of a row's JSON object as `serializer` renders it, NULL where a field's rendering is
    not exact for the row; None when a field has no SQL rendering. The text is built once per
    serializer class, model, database and time zone (the fields are the class's); the constants'
    values are computed for each request."""
    key = (type(serializer), model, connection.alias, timezone.get_current_timezone_name())
    plan = _plans.get(key)
    if plan is None:
        if len(_plans) >= MAX_PLANS:
            _plans.clear()
        plan = _plans[key] = _plan(serializer, model, connection)
    if plan is REFUSED:
        return None
    text, constants, _ = plan
    params = [json_bytes(function(serializer, StandIn())).decode() for function in constants]
    return RawSQL(text, params, output_field=TextField())


def row_relations(serializer, model, connection) -> frozenset | None:
    """The forward relations of `model` whose related rows `row_object`'s SQL reads (their fields),
    None when it reads beyond them or has no SQL rendering."""
    plan = _plans.get((type(serializer), model, connection.alias, timezone.get_current_timezone_name()))
    return None if plan is None or plan is REFUSED else plan[2]


_plans: dict = {}  # (serializer class, model, database, time zone) → (SQL text, constant methods, relations) or REFUSED
REFUSED = object()
MAX_PLANS = 64


def _plan(serializer, model, connection):
    row, parts, conditions, constants = Row(model, connection), [], [], []
    try:
        for number, field in enumerate(serializer._readable_fields):
            found = rendering(field, serializer, row, constants) if KEY.fullmatch(field.field_name) else None
            if found is None:
                return REFUSED
            parts.append(f"""'{"{" if number == 0 else ","}"{field.field_name}":' || {found[0]}""")
            if found[1] is not None:
                conditions.append(found[1])
    except Unreadable:
        return REFUSED
    text = " || ".join(parts or ["'{'"]) + " || '}'"
    if conditions:  # before the values: their text holds no parameter
        text = f"CASE WHEN {' AND '.join(conditions)} THEN {text} END"
    return text, constants, None if row.relations is None else frozenset(row.relations)


def row_texts(serializer, rows, key: str, ids: list[int]) -> list[tuple] | None:
    """[(row's `key`, its JSON text)] of the module-level queryset `rows` whose `key` is one of
    `ids`, in its order, for the nested list `serializer` (many=True); None, before any query,
    when not on PostgreSQL or a field of its child has no SQL rendering. The statement is compiled
    once per serializer class and queryset (core.statements)."""
    connection = connections[rows.db]
    if connection.vendor != "postgresql":
        return None
    child = serializer.child
    built = row_object(child, rows.model, connection)
    if built is None:
        return None
    found = rows_for(
        (row_texts, rows, key, type(child), tuple(built.params)), rows.model,
        lambda ids: rows.annotate(json_row_text=built).filter(**{f"{key}__any_of": ids}).values_list(
            key, "pk", "json_row_text"),
        ids)
    inexact = [pk for _, pk, text in found if text is None]
    if not inexact:
        return [(owner, text) for owner, _, text in found]
    rendered = {row.pk: json_bytes(child.to_representation(row)).decode() for row in rows.filter(pk__in=inexact)}
    return [(owner, rendered[pk] if text is None else text) for owner, pk, text in found]
