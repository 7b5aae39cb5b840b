"""The Matching tab's forms. The two configuration forms are built from the API's own
serializers (`matching-configuration/`, `coi-configuration/`) and checked by them, so the bounds
and the words beside a field are the API's; the rules over several fields are the domain's, on
save. The conflicts filter is the API's `ConflictFilter` with a proposal-name search added."""

import json

import django_filters
from django import forms
from rest_framework import serializers

from referee.calls.models import COI_TYPES, CallCOIConfiguration, MatchingConfiguration
from referee.calls.serializers import COIConfigurationSerializer, MatchingConfigurationSerializer
from referee.conflicts.filters import ConflictFilter
from referee.conflicts.models import ConflictOfInterest
from referee.web.pool.forms import checked_by

# The COI rules a conflict type can be listed under (§5.8), as the grid's columns.
COI_RULE_COLUMNS = [("recusal_required_types", "Recusal required"),
                    ("management_allowed_types", "Management allowed"),
                    ("disclosure_only_types", "Disclosure only")]


def _bounds(field) -> str:
    low, high = getattr(field, "min_value", None), getattr(field, "max_value", None)
    return f"From {low} to {high}." if low is not None and high is not None else ""


def _form_field(field, model_field) -> forms.Field:
    """The page's control for one writable field of the API's serializer. Values are passed on
    as typed (CharField), so that what the API would refuse is refused in its words."""
    label = model_field.verbose_name.capitalize()
    help_text = " ".join(part for part in (model_field.help_text, _bounds(field)) if part)
    if isinstance(field, serializers.BooleanField):
        return forms.BooleanField(label=label, help_text=help_text, required=False)
    if isinstance(field, serializers.ChoiceField):
        return forms.CharField(label=label, help_text=help_text, widget=forms.Select(choices=field.choices.items()))
    if isinstance(field, serializers.ListField):  # COI types: one column of the rules grid
        return forms.Field(label=label, required=False, widget=forms.CheckboxSelectMultiple(choices=COI_TYPES))
    if isinstance(field, serializers.JSONField):  # e.g. reviewers per career stage, typed as JSON
        return forms.CharField(label=label, help_text=help_text, required=False)
    step = "1" if isinstance(field, serializers.IntegerField) else "0.01"
    attrs = {"step": step, "min": getattr(field, "min_value", None), "max": getattr(field, "max_value", None)}
    return forms.CharField(label=label, help_text=help_text, required=not field.allow_null,  # empty: no limit
                           widget=forms.NumberInput(attrs={k: v for k, v in attrs.items() if v is not None}))


def _shown(value):
    """A configuration's value as its control shows it: a mapping as the JSON typed."""
    return json.dumps(value) if isinstance(value, dict) else value


class ConfigurationForm(forms.Form):
    """A configuration's writable fields; `cleaned_data` is the serializer's validated data."""

    serializer_class: type
    model: type

    def __init__(self, *args, read_only=False, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.serializer_class().fields.items():
            if not field.read_only:
                self.fields[name] = _form_field(field, self.model._meta.get_field(name))
                self.fields[name].disabled = read_only  # support reads the settings

    @classmethod
    def of(cls, config, **kwargs):
        form = cls(**kwargs)
        form.initial = {name: _shown(getattr(config, name)) for name in form.fields}
        return form

    def _posted(self, name: str):
        """A field's value as posted, for the serializer: a list of checked codes, a box's state,
        the JSON typed, null for an empty box of a field that may be null, or the text typed."""
        field = self.fields[name]
        if isinstance(field.widget, forms.CheckboxSelectMultiple):
            return self.data.getlist(name)
        if isinstance(field, forms.BooleanField):
            return self.cleaned_data.get(name, False)
        text = self.data.get(name, "")
        serializer_field = self.serializer_class().fields[name]
        if isinstance(serializer_field, serializers.JSONField):
            try:
                return json.loads(text) if text.strip() else {}
            except ValueError:
                return text  # refused by the serializer, in its words
        if text == "" and serializer_field.allow_null:
            return None  # an empty box is "no limit", as the API's HTML forms read it
        return text

    def clean(self):
        raw = {name: self._posted(name) for name in self.fields}
        return checked_by(self, self.serializer_class, raw, {name: name for name in self.fields}) or {}


class MatchingConfigurationForm(ConfigurationForm):
    serializer_class = MatchingConfigurationSerializer
    model = MatchingConfiguration


class COIConfigurationForm(ConfigurationForm):
    serializer_class = COIConfigurationSerializer
    model = CallCOIConfiguration

    def rule_fields(self):
        return [self[name] for name, _ in COI_RULE_COLUMNS]

    def grid(self):
        """One row per COI type: its code and label and, per rule, the (field name, rule label,
        checked) of its checkbox."""
        chosen = {name: set(self[name].value() or ()) for name, _ in COI_RULE_COLUMNS}
        return [(code, label, [(name, rule, code in chosen[name]) for name, rule in COI_RULE_COLUMNS])
                for code, label in COI_TYPES]

    def other_fields(self):
        rules = dict(COI_RULE_COLUMNS)
        return [bound for bound in self if bound.name not in rules]


class ConflictActionForm(forms.Form):
    """The body of `dismiss/`, `waive/` and `recuse/`: notes, and the plan a waiver requires
    (whether it is there is the domain's to say, in the API's words)."""

    review_notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    management_plan = forms.CharField(label="Management plan (required to waive)", required=False,
                                      widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, conflict, **kwargs):
        super().__init__(*args, prefix=conflict.uuid.hex, **kwargs)
        self.conflict = conflict

    def body(self, serializer_class) -> dict | None:
        """The fields as the action's API body serializer takes them (its bounds, its words)."""
        raw = {name: self.cleaned_data[name] for name in serializer_class().fields if name in self.fields}
        return checked_by(self, serializer_class, raw, {name: name for name in self.fields})


class ConflictsFilter(ConflictFilter):
    """The API's conflict filters (status, severity, type, reviewer name …) with a proposal-name
    search; the lists as checkboxes."""

    proposal_name = django_filters.CharFilter(field_name="proposal__name", lookup_expr="icontains",
                                              label="Proposal")

    @property
    def form(self):
        # Set on the form, not on the filters: a filter's form field is made once and copied with
        # it (the API's schema generation makes them first), so a widget given there may never show.
        form = super().form
        for name in ("status", "severity", "coi_type"):
            form.fields[name].widget = forms.CheckboxSelectMultiple(choices=form.fields[name].choices)
        form.fields["reviewer_name"].label, form.fields["coi_type"].label = "Reviewer", "Type"
        return form

    class Meta:
        model = ConflictOfInterest
        fields = []
