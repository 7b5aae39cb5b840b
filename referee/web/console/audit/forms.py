"""The Audit tab's filters: `/api/events/`'s filterset (`core.events.EventFilter`: event types,
object) and, for a page, the actor and a date range (days in the reader's zone)."""

import django_filters
from django import forms
from django.db.models import Q

from referee.core.events import EventFilter
from referee.web.console.paging import ShownFilters

DAY = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CallEventFilter(ShownFilters, EventFilter):
    actor = django_filters.CharFilter(method="by_actor", label="Actor (user name or name)")
    created_after = django_filters.DateFilter(field_name="created", lookup_expr="date__gte", label="From", widget=DAY)
    created_before = django_filters.DateFilter(field_name="created", lookup_expr="date__lte", label="Until", widget=DAY)

    SHOWN = ("event_type", "actor", "created_after", "created_before")

    def __init__(self, data, *, event_types, **kwargs):
        """`event_types`: those recorded for the call, offered as the choices (any other name
        is still accepted, as by the API, and finds nothing)."""
        super().__init__(data, **kwargs)
        field = self.form.fields["event_type"]
        field.label = "Event types"
        field.widget = forms.SelectMultiple(choices=[(name, name) for name in event_types], attrs={"size": 6})

    def by_actor(self, queryset, name, value):
        words = Q(actor__username__icontains=value) | Q(actor__first_name__icontains=value) | Q(
            actor__last_name__icontains=value)
        return queryset.filter(words)
