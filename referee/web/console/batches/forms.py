"""The Batches tab's forms: the API's batch filters with a page's widgets, and the bodies of the
actions (the API's serializers' fields)."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from referee.assignments.filters import AssignmentBatchFilter
from referee.reviewers.models import CallReviewerPool
from referee.web.console.paging import ShownFilters

# The API's `o` keys (`assignments.filters.BATCH_ORDERING`) in words.
ORDER_CHOICES = [
    ("-created", "Newest first"), ("created", "Oldest first"),
    ("-sent_at", "Sent most recently"), ("sent_at", "Sent longest ago"),
    ("expires_at", "Deadline soonest"), ("-expires_at", "Deadline latest"),
    ("status", "Status (A–Z)"), ("-status", "Status (Z–A)"),
]
MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class LongSelect(forms.Select):
    """A select of up to thousands of options (a call's whole pool), written in one pass:
    Django's template per option took half a second for a pool of 1,500 reviewers."""

    def render(self, name, value, attrs=None, renderer=None):
        current = "" if value is None else str(value)
        options = format_html_join("", '<option value="{}"{}>{}</option>', (
            (key, mark_safe(" selected") if key == current else "", label) for key, label in self.choices))
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(self.build_attrs(self.attrs, attrs)),
                           options)


class BatchFilter(ShownFilters, AssignmentBatchFilter):
    """`/api/assignment-batches/`'s filterset, its fields shown for a page: statuses and sources
    as checkboxes, the reviewer chosen among the call's pool, moments in the reader's zone. The
    call is the console's own (`call_uuid` and the pool entry's uuid are not shown)."""

    SHOWN = ("status", "source", "reviewer_uuid", "sent_after", "sent_before")

    def __init__(self, data, *, call, **kwargs):
        super().__init__(data, **kwargs)
        fields = self.form.fields
        for name in ("status", "source"):
            fields[name].widget = forms.CheckboxSelectMultiple(choices=fields[name].choices)
        reviewers = CallReviewerPool.objects.filter(call=call).order_by(
            "reviewer__user__last_name", "reviewer__user__first_name", "pk").values_list(
            "reviewer__uuid", "reviewer__user__first_name", "reviewer__user__last_name", "reviewer__user__username")
        fields["reviewer_uuid"].label = "Reviewer"
        fields["reviewer_uuid"].widget = LongSelect(choices=[("", "Every reviewer"), *(
            (str(key), f"{first} {last}".strip() or username) for key, first, last, username in reviewers)])
        for name, label in (("sent_after", "Sent from"), ("sent_before", "Sent until")):
            fields[name].label, fields[name].widget = label, MOMENT


class ActionForm(forms.Form):
    """Send and cancel take no input: the domain's refusals land on the form (`refusals_on`)."""


class ExtendForm(forms.Form):
    expires_at = forms.DateTimeField(label="New deadline", widget=MOMENT)


class ReassignForm(forms.Form):
    """One alternative's button: the API's body but for the notes (the draft batch's own)."""

    reviewer_pool_entry_uuid = forms.UUIDField(widget=forms.HiddenInput)
    override_workload_limit = forms.BooleanField(label="Even beyond their maximum load", required=False)
