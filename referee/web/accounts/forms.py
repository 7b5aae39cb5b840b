"""The sign-in form (username or e-mail address, limited attempts) and the fresh-link form."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from referee.core import sign_in_limits


class SignInForm(AuthenticationForm):
    """Django's sign-in form, with failures counted per account and per client address: once
    either has spent its attempts, the form is refused (until `retry_at`) before any password check."""

    username = forms.CharField(label="Username or e-mail address", max_length=254,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))
    retry_at = None

    def clean(self):
        try:
            return sign_in_limits.attempt(self.request, self.data.get("username", ""), super().clean)
        except sign_in_limits.TooManyAttempts as refused:
            self.retry_at = refused.retry_at
            raise ValidationError(str(refused), code="throttled") from None


class FreshLinkForm(forms.Form):
    email = forms.EmailField(label="Your e-mail address", max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    link = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)  # the spent link's token
