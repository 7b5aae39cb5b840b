"""The API's token authentication: DRF's, with its lookup compiled once per process.

Every authenticated API request looks its token up with the user's row. DRF builds that query
(`select_related("user").get(key=...)`) anew each time, which cost more Python than PostgreSQL
took to answer it; the statement depends on nothing but the key, so it is kept compiled
(core.statements) and the token and user are built from its one row, as `select_related` builds
them."""

from django.db import router
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from referee.core.models import User
from referee.core.statements import rows_for

USER_COLUMNS = [field.attname for field in User._meta.concrete_fields]


def _token_with_user(key):
    return Token.objects.filter(key=key).values_list("created", *(f"user__{column}" for column in USER_COLUMNS))


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        found = rows_for(TokenAuthentication, Token, _token_with_user, key)
        if not found:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        created, *values = found[0]
        database = router.db_for_read(User)
        user = User.from_db(database, USER_COLUMNS, values)
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        token = Token.from_db(database, ["key", "user_id", "created"], [key, user.pk, created])
        token.user = user  # as select_related leaves it: no query for `request.auth.user`
        return user, token
