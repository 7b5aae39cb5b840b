"""The Pool tab's forms: bounds and defaults are the API's (`ReviewerInvitationSerializer`,
`ForceAcceptSerializer`), so a page and a client are refused alike."""

from django import forms

from referee.reviewers.models import MAX_ASSIGNMENTS_DEFAULT, MAX_ASSIGNMENTS_MAX, MAX_ASSIGNMENTS_MIN

MESSAGE_MAX_LENGTH = 5000  # the API's `invitation_message`
REASON_MAX_LENGTH = 2000  # the API's `override_reason`


class SearchForm(forms.Form):
    """GET: the published profiles (and this user's calls' accepted reviewers) to invite."""

    user_name = forms.CharField(required=False, max_length=200, label="Name")
    expertise_keyword = forms.CharField(required=False, max_length=200, label="Keyword")
    affiliation = forms.CharField(required=False, max_length=200, label="Affiliation",
                                  help_text="Organisation or department, current or past.")

    def asked(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())


class InvitationFields(forms.Form):
    max_assignments = forms.IntegerField(min_value=MAX_ASSIGNMENTS_MIN, max_value=MAX_ASSIGNMENTS_MAX,
                                         initial=MAX_ASSIGNMENTS_DEFAULT, label="Maximum load",
                                         help_text=f"Open assignments at most ({MAX_ASSIGNMENTS_MIN}–{MAX_ASSIGNMENTS_MAX}).")
    invitation_message = forms.CharField(required=False, max_length=MESSAGE_MAX_LENGTH, label="Message in the invitation",
                                         widget=forms.Textarea(attrs={"rows": 2}))


class InviteForm(InvitationFields):
    """Invite one profile of the search results (its button carries the uuid)."""

    reviewer_uuid = forms.UUIDField(widget=forms.HiddenInput)


class EmailInviteForm(InvitationFields):
    email = forms.EmailField(label="E-mail address", max_length=254,
                             help_text="The address of a user who has a reviewer profile.")


class ForceAcceptForm(forms.Form):
    override_reason = forms.CharField(max_length=REASON_MAX_LENGTH, label="Reason",
                                      error_messages={"required": "A reason is required to accept on the reviewer's behalf."})
