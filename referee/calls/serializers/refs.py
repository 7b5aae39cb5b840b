"""Input references and nil-safe UUIDs used by the calls serializers.

References accept what Waldur clients send: a UUID (hex or hyphenated, any case) or an absolute
link ending in `/<uuid>/`."""

import uuid as uuid_lib

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from referee.api.fields import absolute_link
from referee.core.models import User

MAX_REFS = 1000


def parse_ref(value) -> uuid_lib.UUID | None:
    """The UUID named by a uuid or a link, or None if it names none."""
    if not isinstance(value, str):
        return None
    key = value.strip().rstrip("/").rsplit("/", 1)[-1]
    try:
        return uuid_lib.UUID(key)
    except ValueError:
        return None


@extend_schema_field({"type": "string", "format": "uri", "nullable": True})
class RefField(serializers.Field):
    """One object by uuid or link; renders as the object's absolute link."""

    def __init__(self, queryset, collection: str, label_text: str, **kwargs):
        self.queryset = queryset
        self.collection = collection
        self.label_text = label_text
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        key = parse_ref(data)
        obj = self.queryset.filter(uuid=key).first() if key else None
        if obj is None:
            raise serializers.ValidationError(f"{self.label_text} not found.")
        return obj

    def to_representation(self, value):
        return absolute_link(self.context.get("request"), self.collection, value.uuid)


@extend_schema_field({"type": "array", "items": {"type": "string", "format": "uuid"}})
class UserRefListField(serializers.Field):
    """A set of users by uuid or link, resolved in one query; renders their uuids as hex.

    One flat message for unknown entries keeps the one error shape (`{field: [msg]}`)."""

    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise serializers.ValidationError("Expected a list of user uuids.")
        if len(data) > MAX_REFS:
            raise serializers.ValidationError(f"At most {MAX_REFS} users are allowed.")
        keys = [parse_ref(item) for item in data]
        bad = [str(item) for item, key in zip(data, keys, strict=True) if key is None]
        users = {user.uuid: user for user in User.objects.filter(uuid__in=[k for k in keys if k])}
        bad += [key.hex for key in keys if key and key not in users]
        if bad:
            raise serializers.ValidationError(f"Unknown user: {', '.join(bad[:10])}.")
        return list({key: users[key] for key in keys}.values())

    def to_representation(self, value):
        return [user.uuid.hex for user in value.all()]


