"""The sign-in form (username or e-mail address, limited attempts) and the fresh-link form."""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from referee.web.accounts import throttle
from referee.web.accounts.backends import accounts_named


class SignInForm(AuthenticationForm):
    """Django's sign-in form, with failures counted per account and per client address: once
    either has spent its attempts, the form is refused (until `retry_at`) before any password check."""

    username = forms.CharField(label="Username or e-mail address", max_length=254,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))
    retry_at = None

    def limits(self) -> list[throttle.Limit]:
        """The account's count is the account's however it is named (username or address);
        a name of no one account is counted as typed."""
        identifier = self.data.get("username", "")
        found = accounts_named(identifier)
        account = f"user:{found[0].pk}" if len(found) == 1 else f"name:{identifier.strip().lower()}"
        return [throttle.Limit("account", account, settings.REFEREE_SIGN_IN_FAILURES_PER_ACCOUNT),
                throttle.Limit("address", throttle.client_address(self.request),
                               settings.REFEREE_SIGN_IN_FAILURES_PER_ADDRESS)]

    def clean(self):
        limits = self.limits()
        self.retry_at = throttle.spent_until(limits)
        if self.retry_at is not None:
            raise ValidationError(throttle.refusal(self.retry_at), code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            throttle.count(limits)
            raise
        throttle.forget(limits[:1])
        return cleaned


class FreshLinkForm(forms.Form):
    email = forms.EmailField(label="Your e-mail address", max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    link = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)  # the spent link's token
