"""Rendering a model instance as a serializer's fields, with DRF's output and a fraction of its cost.

A page of 100 rows × 25 fields spent more time in DRF's per-field machinery than in its queries:
each value went through `fields.get_attribute` (an abstract `Mapping` check and a callable check
per attribute of the path) and each datetime through a lookup of the active time zone. A
`ModelSerializer` here compiles, once per serializer instance (one request), a plan of
(key, read, render) per readable field. What a plain attribute path reads is fetched with
`operator.attrgetter`; anything it cannot answer exactly as DRF would (a missing or callable
attribute, a dict, a missing related object) is handed to the field's own `get_attribute`, so the
output, skipped keys included, is DRF's. Rows that are not model instances take DRF's loop."""

from datetime import datetime
from operator import attrgetter

from django.db import models
from rest_framework import ISO_8601, serializers
from rest_framework.fields import Field, SkipField
from rest_framework.relations import PKOnlyObject, RelatedField
from rest_framework.settings import api_settings


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


def _renderer(field):
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

    def render(value):
        if not isinstance(value, datetime) or value.utcoffset() is None:
            return exact(value)  # empty, text, naive: DRF's own rules
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return exact(value)  # DRF's validation error
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return render


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer, rendering model instances through a compiled plan (module docstring)."""

    def to_representation(self, instance):
        if not isinstance(instance, models.Model):
            return super().to_representation(instance)
        plan = self.__dict__.get("_row_plan")
        if plan is None:
            plan = self._row_plan = [
                (field.field_name, _reader(field), _renderer(field), isinstance(field, RelatedField))
                for field in self._readable_fields
            ]
        row = {}
        for key, read, render, related in plan:
            try:
                value = read(instance)
            except SkipField:
                continue
            if related and isinstance(value, PKOnlyObject):
                row[key] = None if value.pk is None else render(value)
            else:
                row[key] = None if value is None else render(value)
        return row
