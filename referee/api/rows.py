"""Rendering a model instance as a serializer's fields, with DRF's output and a fraction of its cost.

A page of 100 rows × 25 fields spent more time in DRF's per-field machinery than in its queries:
each value went through `fields.get_attribute` (an abstract `Mapping` check and a callable check
per attribute of the path), each datetime through a lookup of the active time zone, and each link
through the field's `context` (a walk up to the root serializer). A `ModelSerializer` here
compiles, once per serializer instance (one request), one function per readable field that turns
the instance into the field's value. What a plain attribute path reads is fetched with
`operator.attrgetter`; anything it cannot answer exactly as DRF would (a missing or callable
attribute, a dict, a missing related object) is handed to the field's own `get_attribute`, so the
output, skipped keys included, is DRF's. A field may offer `row_value(generic)`: a faster
function for its common case that hands every other case to `generic` (referee.api.fields).
Rows that are not model instances take DRF's loop."""

from datetime import UTC, datetime
from operator import attrgetter

from django.db import models
from rest_framework import ISO_8601, serializers
from rest_framework.fields import Field, SkipField
from rest_framework.relations import PKOnlyObject, RelatedField
from rest_framework.settings import api_settings

from referee.api.renderers import JSONArray


def _reader(field):
    """The field's `get_attribute`, or a faster equivalent for a plain attribute path."""
    if type(field).get_attribute is not Field.get_attribute:
        return field.get_attribute  # the field reads its value its own way
    if not field.source_attrs:  # source="*"
        return lambda instance: instance
    fetch, exact = attrgetter(".".join(field.source_attrs)), field.get_attribute

    def read(instance):
        try:
            value = fetch(instance)
        except Exception:  # noqa: BLE001 - DRF decides: None, the default, a skipped key or its error
            return exact(instance)
        # DRF calls a method found on the path; a value that is not callable is DRF's value.
        return exact(instance) if callable(value) else value

    return read


def renderer_of(field):
    """The field's `to_representation`; for DRF's ISO 8601 datetimes, the same text without a
    time zone lookup per value (the zone is the field's, read once)."""
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    if not (type(field).to_representation is serializers.DateTimeField.to_representation
            and type(field).enforce_timezone is serializers.DateTimeField.enforce_timezone
            and isinstance(output_format, str) and output_format.lower() == ISO_8601):
        return field.to_representation
    zone, exact = getattr(field, "timezone", None) or field.default_timezone(), field.to_representation
    if zone is None:
        return exact
    # The database's values come in UTC (the connection's zone), and are shown in UTC: such a
    # value is its own text, without a conversion (a third of a value's time).
    in_utc = zone is UTC or getattr(zone, "key", None) in ("UTC", "Etc/UTC")

    def render(value):
        if in_utc and value.__class__ is datetime and value.tzinfo is UTC:
            return value.isoformat()[:-6] + "Z"
        if not isinstance(value, datetime) or value.utcoffset() is None:
            return exact(value)  # empty, text, naive: DRF's own rules
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return exact(value)  # DRF's validation error
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return render


# DRF renderers that give back a value of this exact type unchanged (`str(text)`, `int(number)`,
# a bool): for such a value the read is the whole work.
UNCHANGED = {
    serializers.CharField.to_representation: str,
    serializers.IntegerField.to_representation: int,
    serializers.BooleanField.to_representation: bool,
}


def _plain_path(field):
    """attrgetter of the field's source when DRF's own lookup would read it, else None."""
    if type(field).get_attribute is not Field.get_attribute or not field.source_attrs:
        return None
    return attrgetter(".".join(field.source_attrs))


def _unchanged(field, generic):
    """For a plain path read by a field whose renderer keeps the value (UNCHANGED, or a choice
    given as its own text): the value itself, every other case by `generic`."""
    fetch = _plain_path(field)
    kind = UNCHANGED.get(type(field).to_representation)
    if fetch is None:
        return generic
    if kind is not None:
        def kept(instance):
            try:
                value = fetch(instance)
            except Exception:  # noqa: BLE001 - DRF's rules decide (see _reader)
                return generic(instance)
            return value if type(value) is kind else generic(instance)

        return kept
    if type(field).to_representation is serializers.ChoiceField.to_representation:
        choices = field.choice_strings_to_values

        def choice(instance):
            try:
                value = fetch(instance)
            except Exception:  # noqa: BLE001 - DRF's rules decide (see _reader)
                return generic(instance)
            # DRF: '' and None as they are, else the choice whose text is str(value).
            return choices.get(value, value) if type(value) is str and value else generic(instance)

        return choice
    return generic


def field_value(field):
    """instance → the field's value in a row, as DRF's `Serializer.to_representation` gives it
    (raises SkipField for a key DRF leaves out)."""
    read, render = _reader(field), renderer_of(field)
    if isinstance(field, RelatedField):
        def related_value(instance):
            value = read(instance)
            if isinstance(value, PKOnlyObject):
                return None if value.pk is None else render(value)
            return None if value is None else render(value)

        generic = related_value
    else:
        def value(instance):
            value = read(instance)
            return None if value is None else render(value)

        generic = value
    faster = getattr(field, "row_value", None)
    return faster(generic) if faster is not None else _unchanged(field, generic)


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer, rendering model instances through a compiled plan (module docstring)."""

    def to_representation(self, instance):
        if not isinstance(instance, models.Model):
            return super().to_representation(instance)
        plan = self.__dict__.get("_row_plan")
        if plan is None:
            plan = self._row_plan = [(field.field_name, field_value(field)) for field in self._readable_fields]
        row = {}
        for key, value in plan:
            try:
                row[key] = value(instance)
            except SkipField:
                continue
        return row


class Rendered(list):
    """Rows already rendered (api.queries.attach_rendered): AttachedRowsSerializer gives them back."""


class AttachedRowsSerializer(serializers.ListSerializer):
    """A nested serializer's list whose rows may come rendered already (`Rendered`, or a
    renderers.JSONArray of their texts); any other data (a queryset, instances) it renders as DRF does."""

    def to_representation(self, data):
        return data if type(data) in (Rendered, JSONArray) else super().to_representation(data)
