"""The Batches tab's forms: the API's batch filters with a page's widgets, and the bodies of the
actions (the API's serializers' fields)."""

import django_filters
from django import forms

from referee.assignments.filters import AssignmentBatchFilter
from referee.core.querysets import full_name_contains
from referee.web.console.paging import ShownFilters

# The API's `o` keys (`assignments.filters.BATCH_ORDERING`) in words.
ORDER_CHOICES = [
    ("-created", "Newest first"), ("created", "Oldest first"),
    ("-sent_at", "Sent most recently"), ("sent_at", "Sent longest ago"),
    ("expires_at", "Deadline soonest"), ("-expires_at", "Deadline latest"),
    ("status", "Status (A–Z)"), ("-status", "Status (Z–A)"),
]
MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class BatchFilter(ShownFilters, AssignmentBatchFilter):
    """`/api/assignment-batches/`'s filterset, its fields shown for a page: statuses and sources
    as checkboxes, the reviewer found by name, moments in the reader's zone. The call is the
    console's own (`call_uuid` and the pool entry's uuid are not shown; the API's `reviewer_uuid`
    still filters, typed into the address). A name field rather than a select of the whole pool:
    1,500 options were 100 KB of every page of the tab (docs/benchmarks.md)."""

    reviewer = django_filters.CharFilter(method="by_reviewer_name", label="Reviewer", max_length=200,
                                         help_text="Part of their name, as shown in the list")

    SHOWN = ("status", "source", "reviewer", "sent_after", "sent_before")

    def __init__(self, data, **kwargs):
        super().__init__(data, **kwargs)
        fields = self.form.fields
        for name in ("status", "source"):
            fields[name].widget = forms.CheckboxSelectMultiple(choices=fields[name].choices)
        for name, label in (("sent_after", "Sent from"), ("sent_before", "Sent until")):
            fields[name].label, fields[name].widget = label, MOMENT

    def by_reviewer_name(self, queryset, name, value):
        # The name as the list shows it (`User.full_name`: first and last, else the username).
        aliases, named = full_name_contains("reviewer_pool_entry__reviewer__user", value)
        return queryset.alias(**aliases).filter(named)


class ActionForm(forms.Form):
    """Send and cancel take no input: the domain's refusals land on the form (`refusals_on`)."""


class ExtendForm(forms.Form):
    expires_at = forms.DateTimeField(label="New deadline", widget=MOMENT)


class ReassignForm(forms.Form):
    """One alternative's button: the API's body but for the notes (the draft batch's own)."""

    reviewer_pool_entry_uuid = forms.UUIDField(widget=forms.HiddenInput)
    override_workload_limit = forms.BooleanField(label="Even beyond their maximum load", required=False)
