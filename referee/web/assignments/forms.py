"""The reviewer's answer to an item. The page asks for a reason where the API takes it optional
(issue 12: "a reason is required"); the words of the refusal are the API's for a blank field."""

from django import forms

from referee.assignments.domain.items import REASON_REQUIRED
from referee.assignments.serializers import MAX_REASON


class DeclineForm(forms.Form):
    """Prefixed with the item's uuid, so each item's field has its own id and label."""

    reason = forms.CharField(
        label="Why you decline", max_length=MAX_REASON, strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": REASON_REQUIRED},
    )


class AcceptForm(forms.Form):
    """No fields: refusals of the domain land on the form (`refusals_on`)."""
