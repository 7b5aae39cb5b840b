"""Representation rules shared by every serializer (§1, Representation)."""

import uuid as uuid_lib
from operator import attrgetter

from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import fields, serializers

from referee.api.columns import Missing
from referee.api.json_sql import uuid_hex_json

NIL_UUID = "0" * 32


def follow(instance, attrs):
    """Like DRF's attribute lookup, but a missing link anywhere on a dotted path gives None.
    (DRF's own Field.get_attribute turns that into a skipped key for read-only fields, which
    would drop a client-mandatory key.)"""
    if not attrs:  # source="*"
        return instance
    try:
        return fields.get_attribute(instance, attrs)
    except (AttributeError, KeyError, ObjectDoesNotExist):
        return None


class FollowMixin:
    """`get_attribute` by `follow`, with the common case first: a path of plain attributes,
    read by `operator.attrgetter` (DRF's lookup checks each step for a mapping and a method)."""

    def get_attribute(self, instance):
        fetch = self.__dict__.get("_fetch")
        if fetch is None:
            fetch = self._fetch = self.path()
        try:
            value = fetch(instance)
        except Exception:  # noqa: BLE001 - a missing link, a dict on the way: follow's answer
            value = follow(instance, self.source_attrs)
        else:
            if callable(value):  # a method on the path: follow calls it, as DRF does
                value = follow(instance, self.source_attrs)
        return self.resolve(value)

    def resolve(self, value):
        return value

    def path(self):
        """instance → the object at `source` (attrgetter of the path; the instance for "*"),
        raising where the path breaks: the fast `row_value`s hand such rows to the generic rule."""
        return attrgetter(".".join(self.source_attrs)) if self.source_attrs else (lambda instance: instance)


def uuid_of(path, generic, render):
    """For `row_value`: render(uuid) of the object at the path when it has a UUID `uuid`, else
    the generic value (a missing link, no uuid, a method on the path)."""

    def value(instance):
        try:
            key = path(instance).uuid
        except Exception:  # noqa: BLE001 - whatever breaks, the generic rule answers
            return generic(instance)
        return render(key) if type(key) is uuid_lib.UUID else generic(instance)

    return value


def absolute_link(request, collection: str, key) -> str | None:
    """`<scheme>://<host>/api/<collection>/<hex>/`; `collection` may hold a nested path."""
    if key is None:
        return None
    path = f"/api/{collection}/{key.hex if isinstance(key, uuid_lib.UUID) else key}/"
    return request.build_absolute_uri(path) if request is not None else path


class HexUUIDField(serializers.UUIDField):
    """UUIDs render as 32-char lowercase hex; input also accepts the hyphenated form."""

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "hex")
        super().__init__(**kwargs)

    def row_value(self, generic):
        """referee.api.rows: the hex of the UUID at a plain attribute path."""
        if self.uuid_format != "hex" or not self.source_attrs or type(self).get_attribute is not fields.Field.get_attribute:
            return generic
        path = attrgetter(".".join(self.source_attrs))

        def hex_of(instance):
            try:
                value = path(instance)
            except Exception:  # noqa: BLE001 - DRF's rules decide
                return generic(instance)
            return value.hex if type(value) is uuid_lib.UUID else generic(instance)

        return hex_of

    def json_sql(self, row):
        """referee.api.json_sql: the hex of the model's own uuid column."""
        if (self.uuid_format != "hex" or len(self.source_attrs) != 1
                or type(self).get_attribute is not fields.Field.get_attribute
                or row.field(self.source).get_internal_type() != "UUIDField"):
            return None
        return uuid_hex_json(row.sql(self.source)), None


@extend_schema_field({"type": "string", "format": "uri", "nullable": True, "readOnly": True})
class LinkField(FollowMixin, serializers.Field):
    """Absolute hyperlink to the object at `source` (which must have a `uuid`), null if missing.

    The link of a UUID is the collection's absolute URL plus the hex: `build_absolute_uri` of the
    whole path gives the same text (it quotes character by character, and hex digits need none),
    so the prefix is built once per request instead of once per row."""

    def __init__(self, collection: str, **kwargs):
        self.collection = collection
        self._prefix = (None, None)  # (request, "<scheme>://<host>/api/<collection>/")
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        request, key = self.context.get("request"), getattr(value, "uuid", value)
        if request is None or not isinstance(key, uuid_lib.UUID):
            return absolute_link(request, self.collection, key)
        owner, prefix = self._prefix
        if owner is not request:
            prefix = self.prefix(request)
            self._prefix = (request, prefix)
        return f"{prefix}{key.hex}/"

    def prefix(self, request) -> str:
        """`<scheme>://<host>/api/<collection>/`: a link is this plus the hex of a uuid."""
        return request.build_absolute_uri(f"/api/{self.collection}/")

    def column_value(self, target):
        """referee.api.columns: the link from the object's uuid column (null for no object)."""
        request = self.context.get("request")
        read = target.column("uuid") if target.is_object else None
        if request is None or read is None:
            return None
        prefix = self.prefix(request)

        def link(row):
            try:
                key = read(row)
            except Missing:
                return None
            return None if key is None else f"{prefix}{key.hex}/"

        return link

    def row_value(self, generic):
        """referee.api.rows: the link of an object with a uuid, its prefix built once per page."""
        request = self.context.get("request")
        if request is None:
            return generic
        prefix = self.prefix(request)
        return uuid_of(self.path(), generic, lambda key: f"{prefix}{key.hex}/")


@extend_schema_field({"type": "string", "format": "uuid", "nullable": True, "readOnly": True})
class RelatedUUIDField(FollowMixin, serializers.Field):
    """Read-only `<x>_uuid` companion: hex of the related object's uuid, null (or the nil UUID
    for client-mandatory keys) if missing. Resolved in get_attribute because DRF renders a None
    attribute as null without asking the field."""

    def __init__(self, nil: bool = False, **kwargs):
        self.nil = nil
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def resolve(self, value):
        value = getattr(value, "uuid", value)
        if value is None:
            return NIL_UUID if self.nil else None
        return value.hex if isinstance(value, uuid_lib.UUID) else str(value)

    def to_representation(self, value):
        return value

    def row_value(self, generic):
        """referee.api.rows: the hex of an object's uuid."""
        return uuid_of(self.path(), generic, lambda key: key.hex)

    def column_value(self, target):
        """referee.api.columns: the hex of the object's uuid column (nil or null for no object)."""
        return uuid_hex_column(target, missing=NIL_UUID if self.nil else None)


def uuid_hex_column(target, missing):
    """referee.api.columns: row → the hex of the uuid column of the object at `target`, `missing`
    for no object; None when that column is not selected."""
    read = target.column("uuid") if target.is_object else None
    if read is None:
        return None

    def hex_of(row):
        try:
            key = read(row)
        except Missing:
            return missing
        return missing if key is None else key.hex

    return hex_of


class ScoreField(serializers.FloatField):
    """Scores render with 4 decimals."""

    context_free = True  # referee.api.columns: its rendering reads no context

    def to_representation(self, value):
        return None if value is None else round(float(value), 4)


@extend_schema_field(OpenApiTypes.STR)
class DisplayField(serializers.ReadOnlyField):
    """`<x>_display` (Appendix A): the label from `labels` (a model's explicit choices), else the
    value with `_` as a space and the first letter capitalised."""

    context_free = True  # referee.api.columns: its rendering reads no context

    def __init__(self, field_name: str, labels=None, **kwargs):
        kwargs["source"] = field_name
        self.labels = dict(labels or {})
        super().__init__(**kwargs)

    def to_representation(self, value):
        return self.labels.get(value) or display_label(value or "")


class NameField(FollowMixin, serializers.CharField):
    """`<x>_name` companion: "" when the target is missing (§1)."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def resolve(self, value):
        return value if value is not None else ""

    def row_value(self, generic):
        """referee.api.rows: a text at the path as it is."""
        path = self.path()

        def name(instance):
            try:
                value = path(instance)
            except Exception:  # noqa: BLE001 - a missing link: the generic rule answers ""
                return generic(instance)
            return value if type(value) is str else generic(instance)

        return name

    def column_value(self, target):
        """referee.api.columns: the text as it is, "" for no object or no value."""
        if target.is_object:
            return None
        read, render = target.value, self.to_representation

        def name(row):
            try:
                value = read(row)
            except Missing:
                return ""
            if value is None:
                return ""
            return value if type(value) is str else render(value)

        return name


def display_label(value: str) -> str:
    """Default `*_display`: `_` as a space and the first letter capitalised ("not_willing" → "Not willing")."""
    text = value.replace("_", " ")
    return text[:1].upper() + text[1:]


@extend_schema_field({"type": "string", "anyOf": [{"format": "email"}, {"maxLength": 0}],
                      "description": "An e-mail address, or \"\" where none is known."})
class EmailOrBlankField(serializers.EmailField):
    """An optional address: validated as e-mail when given, `""` when not (declared as either)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)
