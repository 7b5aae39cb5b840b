"""The forms of My profile, built from the models' fields: their types, choices, lengths and the
models' own validators (ORCID format, publication year, years of experience), the same ones the
API's serializers take over. Constraints are not checked here: a duplicate keyword, an end date
before the start or a taken ORCID is refused by the domain, in the API's words, beside the field."""

from django import forms

from referee.core.countries import validate_country
from referee.core.models import time_zones
from referee.reviewers.models import (
    ABSTRACT_MAX_LENGTH,
    BIOGRAPHY_MAX_LENGTH,
    ReviewerAffiliation,
    ReviewerExpertise,
    ReviewerProfile,
    ReviewerPublication,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def model_form(model, names, *, labels=None, widgets=None, **fields) -> type[forms.Form]:
    """A plain form of `model`'s fields `names` carrying the model fields' validators, and `fields`
    (form fields of the same names) where the API is stricter than the column."""
    built = forms.fields_for_model(model, fields=names, labels=labels, widgets=widgets)
    for name, field in built.items():
        extra = [v for v in model._meta.get_field(name).validators if v not in field.validators]
        field.validators = [*field.validators, *extra]
    built.update(fields)
    return type(f"{model.__name__}Form", (forms.Form,), built)


class CountryField(forms.CharField):
    """An ISO 3166-1 alpha-2 code, as the API takes it; typed in either case, kept in capitals."""

    def __init__(self, **kwargs):
        super().__init__(required=False, max_length=2, min_length=0, validators=[validate_country],
                         widget=forms.TextInput(attrs={"size": 3, "autocomplete": "country", "spellcheck": "false"}),
                         **kwargs)

    def to_python(self, value):
        return super().to_python(value).upper()


ProfileForm = model_form(
    ReviewerProfile, ["biography", "orcid_id", "available_for_reviews", "career_stage"],
    labels={"orcid_id": "ORCID iD", "available_for_reviews": "Available for reviews", "career_stage": "Career stage"},
    biography=forms.CharField(required=False, max_length=BIOGRAPHY_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 6})),
)
ProfileForm.base_fields["orcid_id"].help_text = "Like 0000-0002-1825-0097; leave empty to remove it."
ProfileForm.base_fields["career_stage"].choices = [("", "Not given"), *ReviewerProfile._meta.get_field("career_stage").choices]
ProfileForm.base_fields["career_stage"].help_text = (
    "Calls may reserve places on a proposal's panel per career stage; leave empty if you prefer not to say.")

AffiliationForm = model_form(
    ReviewerAffiliation,
    ["organization_name", "department", "position_title", "affiliation_type", "country", "start_date", "end_date",
     "is_primary"],
    labels={"organization_name": "Organisation", "position_title": "Position", "affiliation_type": "Type",
            "is_primary": "Primary affiliation"},
    widgets={"start_date": DATE, "end_date": DATE},
    country=CountryField(label="Country", help_text="Two letters, such as DE or FR; calls can ask for "
                                                    "reviewers from several countries."),
)
# Pages name the organisation in words (linking a customer is the API's): so the name is required.
AffiliationForm.base_fields["organization_name"].required = True

ExpertiseForm = model_form(
    ReviewerExpertise, ["expertise_keyword", "proficiency_level", "years_experience"],
    labels={"expertise_keyword": "Keyword", "proficiency_level": "Proficiency", "years_experience": "Years of experience"},
)

PublicationForm = model_form(
    ReviewerPublication,
    ["title", "publication_year", "venue", "venue_type", "doi", "abstract", "is_excluded_from_matching"],
    labels={"publication_year": "Year", "venue_type": "Venue type", "doi": "DOI",
            "is_excluded_from_matching": "Leave out of matching"},
    abstract=forms.CharField(required=False, max_length=ABSTRACT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4})),
)


class TimeZoneForm(forms.Form):
    """The zone the pages show times in (a setting of the user, not of the reviewer profile)."""

    time_zone = forms.ChoiceField(label="Time zone", required=False,
                                  help_text="Deadlines and other times on these pages are shown in this zone.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [("", "UTC"), *((zone, zone) for zone in time_zones())]
