"""The forms of the pool invitation and bids pages. Their bodies are checked by the API's own
body serializers (same bounds, same words), each error put beside the control it concerns."""

from django import forms

from referee.calls.models import COI_TYPES
from referee.conflicts.enums import Severity
from referee.reviewers.bid_serializers import BidSubmitSerializer
from referee.reviewers.serializers_pool import DeclaredConflictSerializer, InvitationDeclineSerializer


def checked_by(form, serializer_class, data, fields: dict) -> dict | None:
    """`data` validated by the API's `serializer_class`: its validated data, or None after adding
    each error to the form field `fields[key]` names (to the form itself if none)."""
    body = serializer_class(data=data)
    if body.is_valid():
        return body.validated_data
    for key, messages in body.errors.items():
        form.add_error(fields.get(key), messages[0])
    return None


class DeclineForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                             label="Why you decline", help_text="Required: the call's managers read it.")

    def clean(self):
        body = checked_by(self, InvitationDeclineSerializer, {"reason": self.data.get("reason", "")},
                          {"reason": "reason"})
        return body or {}


def conflict_field_names(key: str) -> dict:
    """The form fields of one proposal's declaration, by the API's key (`key`: the proposal's hex uuid)."""
    return {"proposal_uuid": "conflicts", "coi_type": f"coi_type-{key}", "severity": f"severity-{key}",
            "description": f"description-{key}"}


class AcceptForm(forms.Form):
    """Accept, declaring a conflict with any of the listed proposals: a checkbox per proposal with
    its type, severity and details. Posted uuids are passed on as they come: whether a proposal
    is the call's is for `accept_invitation` to say (`Proposal not found in this call.`)."""

    conflicts = forms.Field(required=False)  # the checked proposals' uuids; errors shown above the list

    def __init__(self, *args, proposals=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for proposal in proposals:
            key = proposal.uuid.hex
            names = conflict_field_names(key)
            self.fields[names["coi_type"]] = forms.CharField(
                required=False, label="Type", widget=forms.Select(choices=[("", "Choose a type")] + COI_TYPES))
            self.fields[names["severity"]] = forms.CharField(
                required=False, label="Severity", initial=Severity.APPARENT,
                widget=forms.Select(choices=Severity.choices))
            self.fields[names["description"]] = forms.CharField(required=False, label="Details (optional)")
            self.rows.append((proposal, key, [self[names[k]] for k in ("coi_type", "severity", "description")]))

    def checked(self) -> list[str]:
        return self.data.getlist("conflicts") if self.is_bound else []

    def clean(self):
        declarations = []
        for key in self.checked():
            names = conflict_field_names(key)
            raw = {"proposal_uuid": key, "coi_type": self.data.get(names["coi_type"], "")}
            for optional in ("severity", "description"):
                if self.data.get(names[optional]):
                    raw[optional] = self.data[names[optional]]
            fields = {k: v for k, v in names.items() if v in self.fields}
            declaration = checked_by(self, DeclaredConflictSerializer, raw, fields)
            if declaration is not None:
                declarations.append(declaration)
        return {"declarations": declarations}


class BidForm(forms.Form):
    """One proposal's bid, as `reviewer-bids/submit/` takes it."""

    proposal_uuid = forms.CharField(widget=forms.HiddenInput)
    bid = forms.CharField(required=False)  # one of `BidValue`: the API's serializer says

    def clean(self):
        raw = {key: self.data.get(key, "") for key in ("proposal_uuid", "bid")}
        return checked_by(self, BidSubmitSerializer, raw, {"proposal_uuid": "bid", "bid": "bid"}) or {}
