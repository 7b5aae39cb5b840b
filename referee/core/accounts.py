"""Domain actions on users and tokens (CLI and API share them)."""

from django.db import transaction
from rest_framework.authtoken.models import Token

from referee.core.models import User


def token_for(user: User) -> str:
    """The user's one API token (40 hex), created on first use."""
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


@transaction.atomic
def create_user(username: str, *, email: str = "", password: str | None = None, first_name: str = "",
                last_name: str = "", is_staff: bool = False, is_support: bool = False) -> User:
    user = User(username=username, email=email, first_name=first_name, last_name=last_name,
                is_staff=is_staff, is_support=is_support)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    token_for(user)
    return user
