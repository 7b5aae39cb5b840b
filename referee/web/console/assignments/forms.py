"""The Assignments tab's forms. Their refusals come from the domain (`refusals_on`); a reason is
optional until an edit needs an override, and the domain says so beside this field."""

from django import forms
from rest_framework import serializers

from referee.assignments.engine_serializers import GenerateAssignmentsSerializer
from referee.calls.enums import Algorithm

MAX_REASON = 1000


class CompareForm(forms.Form):
    """The comparison's one setting (hidden: the preview's), checked as generation checks it."""

    reviewers_per_proposal = forms.IntegerField(
        label="Reviewers per proposal", min_value=1, max_value=20, required=False,
        help_text="Empty: the call's minimum reviewers per proposal.")

    def __init__(self, *args, config=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.config = config
        if config is not None:
            self.fields["reviewers_per_proposal"].widget.attrs["max"] = config.max_reviewers_per_proposal

    def clean_reviewers_per_proposal(self):
        """The API's bound on the call's configuration, in its words."""
        value = self.cleaned_data["reviewers_per_proposal"]
        try:
            return GenerateAssignmentsSerializer(context={"config": self.config}).validate_reviewers_per_proposal(value)
        except serializers.ValidationError as error:
            raise forms.ValidationError(error.detail) from None


class GenerateForm(CompareForm):
    algorithm = forms.ChoiceField(label="Algorithm", choices=Algorithm.choices)
    field_order = ["algorithm", "reviewers_per_proposal"]


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason to override", max_length=MAX_REASON, required=False, strip=True)


class RemoveForm(ReasonForm):
    prefix = "remove"  # each edit form's fields have ids of their own on the one page
    pair = forms.UUIDField(widget=forms.HiddenInput)


class AddForm(ReasonForm):
    prefix = "add"
    proposal = forms.UUIDField(label="Proposal")
    reviewer = forms.UUIDField(label="Reviewer")


class SwapForm(ReasonForm):
    prefix = "swap"
    first = forms.UUIDField(label="First pair (from this page)")
    second = forms.UUIDField(label="Second pair")


class PairSearchForm(forms.Form):
    """The swap's second pair, found anywhere in the preview by a name (GET: the tab's query
    string without JS, the `pairs/` fragment with htmx)."""

    swap_q = forms.CharField(label="Find the second pair by proposal or reviewer name", max_length=100,
                             required=False, strip=True, widget=forms.TextInput(attrs={"type": "search"}))


class PreviewForm(forms.Form):
    """Deploy: the preview the page showed, so a preview replaced meanwhile is refused."""

    preview = forms.UUIDField(widget=forms.HiddenInput)


class UndoForm(forms.Form):
    """Undo: the deployed generation the row showed."""

    generation = forms.UUIDField(widget=forms.HiddenInput)


class ActionForm(forms.Form):
    """Send all: no fields; refusals of the domain land on the form."""
