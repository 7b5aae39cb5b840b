"""Personal one-time sign-in links, as the mails to reviewers carry them (issue 12).

A link holds a random token of 256 bits; only its SHA-256 is stored (a fast hash suffices: the
token is not guessable, unlike a password). It signs its user in once, before it expires (at the
deadline of what the mail is about, at most `MAX_LIFETIME` after it was issued), and lands on its
target path. Opening a link (GET) only shows a page whose form uses it (POST): mail scanners and
link previews fetch the links of a mail before its reader does, and would spend them."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from referee.core.models import SignInLink, User
from referee.core.sign_in_paths import SIGN_IN_PATH
from referee.notifications.outbox import link

MAX_LIFETIME = timedelta(days=14)
# A link asked for on the page of a spent one is used at once, or asked for again.
FRESH_LINK_LIFETIME = timedelta(hours=24)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def lifetime_until(deadline: datetime | None) -> datetime:
    """When a link about something due at `deadline` expires: then, but never later than
    `MAX_LIFETIME` from now (no deadline: `MAX_LIFETIME`)."""
    latest = timezone.now() + MAX_LIFETIME
    return min(deadline, latest) if deadline else latest


def issue_sign_in_link(user: User, target_path: str, expires_at: datetime | None) -> str:
    """A new link (its full URL) that signs `user` in once and lands on `target_path` (a path of
    this site), valid until `expires_at` capped at `MAX_LIFETIME`. Runs in the caller's
    transaction: a mail rolled back takes its link with it."""
    if not target_path.startswith("/") or not url_has_allowed_host_and_scheme(target_path, allowed_hosts=set()):
        raise ValueError(f"a sign-in link lands on a path of this site, not {target_path!r}")
    token = secrets.token_urlsafe(32)
    SignInLink.objects.create(token_hash=digest(token), user=user, target_path=target_path,
                              expires_at=lifetime_until(expires_at))
    return link(SIGN_IN_PATH.format(token=token))


@dataclass(frozen=True)
class Redemption:
    """What a token gave: the `user` signed in and the `target_path`, or why not (`refusal`:
    "unknown", "used", "expired" or "another_user", the link then left as it was)."""

    refusal: str = ""
    user: User | None = None
    target_path: str = ""


def refusal_of(token: str, signed_in: User | None = None) -> str:
    """Why the link of `token` would be refused now ("" if it would sign its user in), without
    using it: what a GET of the link shows (mail scanners fetch links; only a POST uses one)."""
    return _refusal(_link(SignInLink.objects.all(), token), signed_in)


@transaction.atomic
def redeem(token: str, signed_in: User | None = None) -> Redemption:
    """Use the link of `token` once. `signed_in` is whoever already holds the browser's session:
    another user's link is refused (and stays usable) rather than switching accounts silently."""
    found = _link(SignInLink.objects.select_for_update(), token)
    refusal = _refusal(found, signed_in)
    if refusal:
        return Redemption(refusal)
    found.used_at = timezone.now()
    found.save(update_fields=["used_at"])
    return Redemption(user=found.user, target_path=found.target_path)


def _link(rows, token: str) -> SignInLink | None:
    return rows.select_related("user").filter(token_hash=digest(token), user__is_active=True).first()


def _refusal(found: SignInLink | None, signed_in: User | None) -> str:
    if found is None:
        return "unknown"
    if found.used_at is not None:
        return "used"
    if found.expires_at <= timezone.now():
        return "expired"
    if signed_in is not None and signed_in.is_authenticated and signed_in.pk != found.user_id:
        return "another_user"
    return ""


def user_by_email(email: str) -> User | None:
    """The one active user with this address (any case); None when nobody or several have it:
    an address two accounts share identifies neither, so it signs nobody in."""
    users = list(User.objects.filter(email__iexact=email.strip(), is_active=True)[:2]) if email.strip() else []
    return users[0] if len(users) == 1 else None


def target_for_fresh_link(user: User, old_token: str) -> str:
    """Where a fresh link lands: where `user`'s own used or expired link (`old_token`) went, else
    home (which leads a signed-in user on to their assignments)."""
    old = SignInLink.objects.filter(token_hash=digest(old_token), user=user).first() if old_token else None
    return old.target_path if old else "/"
