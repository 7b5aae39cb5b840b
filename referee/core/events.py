"""`/api/events/` (§7, Audit): the append-only audit trail, read-only.

Staff and support read every event; a call's managers read the events of their calls; everyone
else gets an empty list (and 404 on a detail)."""

import django_filters
from django import forms
from rest_framework import mixins, serializers

from referee.api.columns import reads
from referee.api.fields import HexUUIDField, RelatedUUIDField
from referee.api.rows import ModelSerializer
from referee.api.viewsets import RefereeViewSet
from referee.core.models import AuditEvent


class AnyValuesField(forms.MultipleChoiceField):
    """Repeated free-text values (`?event_type=A&event_type=B`): event types are an open set."""

    def valid_value(self, value):
        return True


class AnyValuesFilter(django_filters.MultipleChoiceFilter):
    field_class = AnyValuesField


class EventFilter(django_filters.FilterSet):
    call_uuid = django_filters.UUIDFilter(field_name="call__uuid")
    event_type = AnyValuesFilter()
    object_uuid = django_filters.UUIDFilter(field_name="object_uuid")

    class Meta:
        model = AuditEvent
        fields = []


class AuditEventSerializer(ModelSerializer):
    uuid = HexUUIDField(read_only=True)
    actor = serializers.SerializerMethodField()
    actor_uuid = RelatedUUIDField(source="actor")
    call_uuid = RelatedUUIDField(source="call")
    object_uuid = HexUUIDField(read_only=True)

    class Meta:
        model = AuditEvent
        fields = ["uuid", "created", "event_type", "actor", "actor_uuid", "call_uuid", "object_type", "object_uuid",
                  "from_state", "to_state", "message", "context"]
        read_only_fields = fields

    @reads("actor.username")
    def get_actor(self, event) -> str:
        return event.actor.username if event.actor is not None else ""


# What a listed event shows of its row, its actor and its call.
LIST_COLUMNS = ("uuid", "created", "event_type", "actor__uuid", "actor__username", "call__uuid", "object_type",
                "object_uuid", "from_state", "to_state", "message", "context")


class AuditEventViewSet(mixins.RetrieveModelMixin, RefereeViewSet):
    queryset = AuditEvent.objects
    serializer_class = AuditEventSerializer
    filterset_class = EventFilter
    ordering_fields = {"created": "created", "event_type": "event_type"}
    ordering = ["-created"]
    counted_list = True

    def get_queryset(self):
        queryset = super().get_queryset().select_related("actor", "call")
        return queryset.only(*LIST_COLUMNS) if self.action == "list" else queryset
