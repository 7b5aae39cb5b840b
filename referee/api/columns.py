"""Rendering a list page straight from its SQL rows, without building model instances.

After the fourth and fifth passes (docs/benchmarks.md), a page of 100 batches still spent about
a fifth of its time turning rows into instances (the batch and its five select_related objects,
each with its state and relation caches) and as much again reading each field back through the
related descriptors. The page query already selects exactly what the serializer shows
(`select_related` plus `only`), so each key of a row is one column of it: a column's place is
read off Django's own compiled query (`klass_info`, the map its ModelIterable uses to build the
instances), the same SQL runs once, and each field renders its column with its own rule.

A serializer is rendered this way only when every one of its fields is understood: a model
column reached through the selected relations, an annotation, a `derived` attribute whose
columns are selected (referee.core.derived), a field class offering `column_value`, or a method
field that says what it reads (`reads`). Anything else (another method field, a nested
serializer, a rendering that might read the request's context, a relation that is not selected,
a prefetch) leaves the page to the instance path (referee.api.rows), decided before the query
runs, so the SQL and its count are the same either way. So does a list or row serializer that
renders its own way (its own `to_representation`), known from the classes before anything is
compiled: the page's statement was compiled twice for those, once only to be refused. A plan
(the decision, and each field's function of a row) is built once per serializer class and query
shape and kept: building a serializer's fields is DRF's most costly step per request."""

import inspect
from operator import itemgetter
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db.models import QuerySet
from django.db.models.query import ModelIterable
from django.utils import timezone
from rest_framework import serializers
from rest_framework.fields import Field
from rest_framework.relations import RelatedField

from referee.api.rows import UNCHANGED, AttachedRowsSerializer, ModelSerializer, renderer_of
from referee.core.derived import derived


class Missing(Exception):  # noqa: N818 - a signal between the readers, not an error
    """A nullable relation on a field's path has no object in this row (a LEFT JOIN's NULLs)."""


class Node:
    """One model of the page query: its selected columns' places and its selected relations."""

    def __init__(self, model, columns: dict, nullable: bool):
        self.model, self.columns, self.nullable = model, columns, nullable
        self.relations: dict[str, Node] = {}
        self.pk_index = columns.get(model._meta.pk.attname)


def _node(klass_info, select, nullable=False) -> Node:
    columns = {select[index][0].target.attname: index for index in klass_info["select_fields"]}
    node = Node(klass_info["model"], columns, nullable)
    for related in klass_info.get("related_klass_infos", ()):
        if related["reverse"] or related["from_parent"]:
            continue  # reached through another model's key: not read here
        field = related["field"]
        node.relations[field.name] = _node(related, select, nullable or field.null)
    return node


class Target:
    """Where a field's source is in a row: an object (`attrs` empty: the node's columns), a
    column, an annotation or a derived attribute, with the relations on the way that
    may be missing. `value(row)` raises Missing for such a relation, else gives the source's value."""

    at = None  # path → the Target of another source of the same row (set by field_column_value)

    def __init__(self, node: Node, guards: list, read, is_object: bool):
        self.node, self.guards, self.read, self.is_object = node, guards, read, is_object
        self.value = _guarded(read, guards)

    @property
    def optional(self) -> bool:
        return bool(self.guards)

    def column(self, attname: str):
        """row → the object's column `attname` (a link's uuid), or None when not selected."""
        index = self.node.columns.get(attname)
        return None if index is None else _guarded(itemgetter(index), self.guards)


def _guarded(read, guards):
    """`read`, raising Missing first when one of the guarded relations is empty in the row."""
    if not guards:
        return read

    def guarded(row):
        for guard in guards:
            if row[guard] is None:
                raise Missing
        return read(row)

    return guarded


def locate(root: Node, annotations: dict, attrs: list) -> Target | None:
    """The Target of a dotted source, or None where this module cannot read it exactly."""
    node, guards = root, []
    attrs = list(attrs)
    while attrs and attrs[0] in node.relations:
        node = node.relations[attrs.pop(0)]
        if node.nullable:
            if node.pk_index is None:
                return None
            guards.append(node.pk_index)
    if not attrs:
        return Target(node, guards, lambda row: None, is_object=True)
    name, rest = attrs[0], attrs[1:]
    if name == "pk":
        name = node.model._meta.pk.attname
    if name in node.columns and not rest:
        index = node.columns[name]
        return Target(node, guards, itemgetter(index), is_object=False)
    if node is root and name in annotations:
        return _annotation(node, annotations[name], rest)
    attribute = getattr(node.model, name, None)
    if isinstance(attribute, derived) and not rest and all(column in node.columns for column in attribute.columns):
        indexes, function = [node.columns[column] for column in attribute.columns], attribute.function
        return Target(node, guards, lambda row: function(*(row[index] for index in indexes)), is_object=False)
    return None


def _annotation(node, index, rest) -> Target:
    """An annotation's value, or attributes of it (`item_counts.total`) as DRF would read them."""
    def read(row):
        value = row[index]
        for attr in rest:
            value = getattr(value, attr)
            if callable(value):
                raise TypeError(f"{attr} is a method: columns read attributes only")
        return value

    return Target(node, [], read, is_object=False)


def plain_value(field, target: Target):
    """row → the value of a DRF field reading a plain attribute path, as `Serializer.to_representation`
    gives it (None stays None); None when its rules need an instance (a missing relation would make
    DRF skip or default the key)."""
    if (type(field).get_attribute is not Field.get_attribute or isinstance(field, RelatedField)
            or target.is_object or target.optional or not _context_free(field)):
        return None
    read, render = target.read, renderer_of(field)
    kind = UNCHANGED.get(type(field).to_representation)

    def value(row):
        value = read(row)
        if value is None:
            return None
        return value if type(value) is kind else render(value)

    return value


def reads(*attributes: str, sql=None):
    """Declares what a serializer's `get_<field>` method reads of its instance (dotted for a
    related object's attributes): the columns path calls the same method with a stand-in that
    holds exactly those values (a related object None where the row has none). `sql`, if given,
    writes the same value in SQL, given the row's `api.json_sql.Row` (for rows PostgreSQL renders)."""
    def declare(method):
        method.reads, method.sql = attributes, sql
        return method

    return declare


class StandIn:
    """The instance as a `reads` method sees it in the columns path."""


def _stand_in(node: Node, annotations: dict, attributes: list[list[str]], is_root: bool):
    """row → a StandIn with `attributes` (paths under `node`), or None where one is not a
    plain column, annotation, derived attribute or selected relation."""
    leaves, branches = [], {}
    for path in attributes:
        (branches.setdefault(path[0], []).append(path[1:]) if len(path) > 1 else leaves.append(path[0]))
    readers = []
    for name in leaves:
        target = locate(node, annotations if is_root else {}, [name])
        if target is None or target.is_object or target.optional:
            return None
        readers.append((name, target.read))
    for name, paths in branches.items():
        related = node.relations.get(name)
        if related is None or (related.nullable and related.pk_index is None):
            return None
        build = _stand_in(related, annotations, paths, is_root=False)
        if build is None:
            return None
        readers.append((name, _optional(build, related.pk_index) if related.nullable else build))

    def build(row):
        stand_in = StandIn()
        stand_in.__dict__ = {name: read(row) for name, read in readers}
        return stand_in

    return build


def _optional(build, pk_index):
    return lambda row: None if row[pk_index] is None else build(row)


class MethodValue(NamedTuple):
    """A `reads` method field in a plan: the serializer's function and the stand-in's builder.
    Bound to each request's own serializer when the plan is used (plans outlive requests)."""

    function: object
    build: object

    def bound(self, serializer):
        function, build = self.function, self.build
        return lambda row: function(serializer, build(row))


def method_value(field, root: Node, annotations: dict) -> MethodValue | None:
    """A `reads`-declared method field's value: the method itself, given a StandIn."""
    function = getattr(type(field.parent), field.method_name, None)
    attributes = getattr(function, "reads", None)
    if attributes is None or not inspect.isfunction(function):
        return None
    build = _stand_in(root, annotations, [attribute.split(".") for attribute in attributes], is_root=True)
    return None if build is None else MethodValue(function, build)


def _context_free(field) -> bool:
    """A kept plan renders later requests' rows with this field's `to_representation`: DRF's own
    read no context, and ours say so (`context_free`)."""
    return type(field).to_representation.__module__.startswith("rest_framework.") or getattr(
        field, "context_free", False)


def field_column_value(field, root: Node, annotations: dict):
    """row → the field's value, or None if it cannot be read from the row exactly."""
    if isinstance(field, serializers.SerializerMethodField):
        return method_value(field, root, annotations)
    if isinstance(field, serializers.BaseSerializer):
        return None
    if field.source == "*":
        target = Target(root, [], lambda row: None, is_object=True)
    else:
        target = locate(root, annotations, field.source_attrs)
    if target is None:
        return None
    target.at = lambda path: locate(root, annotations, path.split("."))  # other columns a field reads
    own = getattr(field, "column_value", None)
    return own(target) if own is not None else plain_value(field, target)


def page_rows(serializer, queryset) -> list | None:
    """The rendered rows of `queryset` for the list `serializer`'s child, from one query; None
    (nothing run) when the child or the query needs the instance path."""
    read = _read(serializer, queryset)
    if read is None:
        return None
    plan, rows, _ = read
    return [{key: value(row) for key, value in plan} for row in rows]


def rows_by(serializer, queryset, key: str) -> list | None:
    """page_rows as (the row's column `key`, its rendering) pairs: the rows of a relation read
    for several objects at once, each to be handed to its own (api.queries.attach_rendered);
    None (nothing run) when the query does not select `key` or needs the instance path."""
    read = _read(serializer, queryset, key)
    if read is None:
        return None
    plan, rows, index = read
    return [(row[index], {name: value(row) for name, value in plan}) for row in rows]


def _read(serializer, queryset, key: str | None = None):
    """(plan, the query's rows, the place of column `key` if given), or None (nothing run) when
    the child, the query or a missing `key` needs the instance path."""
    if not _readable(queryset) or _renders_its_own_way(serializer):
        return None
    child = serializer.child
    compiler = queryset.query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return [], [], None
    plan = _plan(child, compiler)
    if plan is None:
        return None
    index = None if key is None else _node(compiler.klass_info, compiler.select).columns.get(key)
    if key is not None and index is None:
        return None
    with compiler.connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
    if converters:
        rows = compiler.apply_converters(rows, converters)
    return plan, rows, index


# The renderings a plan reproduces: the list's and each row's as DRF (or api.rows) writes them;
# nested rows' lists give rows rendered already back as they are, and render the rest as DRF does.
PLAIN_RENDERINGS = frozenset({serializers.ListSerializer.to_representation, serializers.Serializer.to_representation,
                              ModelSerializer.to_representation, AttachedRowsSerializer.to_representation})


def _renders_its_own_way(serializer) -> bool:
    """Whether the list or its child overrides `to_representation` (adds keys, hides some by a
    policy, attaches related rows): a plan would skip that, so the page takes the instance path,
    known from the classes alone, before the statement is compiled."""
    return (type(serializer).to_representation not in PLAIN_RENDERINGS
            or type(serializer.child).to_representation not in PLAIN_RENDERINGS)


def _readable(queryset) -> bool:
    return (isinstance(queryset, QuerySet) and queryset._iterable_class is ModelIterable
            and not queryset._prefetch_related_lookups and queryset._result_cache is None
            and not queryset.query.combinator)


# (serializer class, query shape, site, time zone) → its plan, or REFUSED. Only our own fields'
# rules go in a plan: a link's prefix comes from the site, a datetime's zone is the active one,
# and a method is bound to each request's serializer; no other context is read. Bounded: the
# site is a Host header that ALLOWED_HOSTS admitted.
_plans: dict = {}
REFUSED = object()  # kept for a serializer and shape the columns cannot render
MAX_PLANS = 256


def _plan(child, compiler):
    """The child's (key, row → value) list for this query, from the cache or built; None if refused."""
    request = child.context.get("request")
    key = (type(child), _shape(compiler), request and request.build_absolute_uri("/"), timezone.get_current_timezone_name())
    plan = _plans.get(key)
    if plan is None:
        plan = _build_plan(child, compiler)
        if len(_plans) >= MAX_PLANS:
            _plans.clear()
        _plans[key] = plan
    if plan is REFUSED:
        return None
    return [(name, value.bound(child) if isinstance(value, MethodValue) else value) for name, value in plan]


def _shape(compiler) -> tuple:
    """What a plan depends on in the query: each selected column (its field or alias), and which
    relation each model's columns were reached through."""
    def relations(info):
        return (info.get("field"), tuple(info["select_fields"]),
                tuple(relations(related) for related in info.get("related_klass_infos", ())))

    columns = tuple((getattr(column[0], "target", None), column[2]) for column in compiler.select[: compiler.col_count])
    return columns, compiler.klass_info and relations(compiler.klass_info)


def _build_plan(child, compiler):
    if compiler.klass_info is None:
        return REFUSED
    root, plan = _node(compiler.klass_info, compiler.select), []
    for field in child._readable_fields:
        value = field_column_value(field, root, compiler.annotation_col_map)
        if value is None:
            return REFUSED
        plan.append((field.field_name, value))
    return plan
