"""Signing in with a username or an e-mail address and the password."""

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from referee.core.models import User


def accounts_named(identifier: str) -> list[User]:
    """The accounts (at most two: one is the answer, two mean ambiguity) whose username is
    `identifier` or whose e-mail address is it in any case."""
    identifier = identifier.strip()
    return list(User.objects.filter(Q(username=identifier) | Q(email__iexact=identifier))[:2]) if identifier else []


class UsernameOrEmailBackend(ModelBackend):
    """Django's ModelBackend, finding the account by its username or its e-mail address (any case).

    An identifier that names more than one account (an address two accounts share, or one account's
    username that is another's address) signs nobody in: which account was meant cannot be told,
    and trying the password on each would let one account's password open another."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if password is None:
            return None
        found = accounts_named(username or kwargs.get(User.USERNAME_FIELD) or "")
        if len(found) != 1:
            User().set_password(password)  # the same time as a wrong password: nothing told by timing
            return None
        user = found[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
