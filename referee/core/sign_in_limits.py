"""How many sign-in failures an account and a client address may have in a window (settings
REFEREE_SIGN_IN_*), counted in Django's cache, which every web process shares (settings.CACHES).
The sign-in page and the API's token endpoint count in the same counters (`attempt`), so a
guesser gains nothing by switching between them.

Fixed windows: the count of a window starts at its first failure's window start and is dropped
when the window ends, so a refusal can say exactly when to try again."""

import hashlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from referee.core.backends import accounts_named

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    """One counter: of what `kind` ("account", "address", …), for whom (`subject`), how many."""

    kind: str
    subject: str
    allowed: int

    def key(self, window: int) -> str:
        subject = hashlib.sha256(self.subject.strip().lower().encode()).hexdigest()[:32]
        return f"sign-in:{self.kind}:{subject}:{window}"


class TooManyAttempts(Exception):
    def __init__(self, retry_at: datetime):
        super().__init__(refusal(retry_at))
        self.retry_at = retry_at


def password_limits(request, identifier: str) -> list[Limit]:
    """The account's count is the account's however it is named (username or address); a name of
    no one account is counted as typed. Then the client address's."""
    found = accounts_named(identifier)
    account = f"user:{found[0].pk}" if len(found) == 1 else f"name:{identifier.strip().lower()}"
    return [Limit("account", account, settings.REFEREE_SIGN_IN_FAILURES_PER_ACCOUNT),
            Limit("address", client_address(request), settings.REFEREE_SIGN_IN_FAILURES_PER_ADDRESS)]


def attempt(request, identifier: str, sign_in: Callable):
    """Run `sign_in()` (a password check) unless the account or the address has spent its
    attempts (TooManyAttempts, before any check). A failure (None, or an exception) is counted;
    a success clears the account's count."""
    limits = password_limits(request, identifier)
    retry_at = spent_until(limits)
    if retry_at is not None:
        raise TooManyAttempts(retry_at)
    try:
        result = sign_in()
    except Exception:
        count(limits)
        raise
    if result is None:
        count(limits)
    else:
        forget(limits[:1])
    return result


def window() -> tuple[int, datetime]:
    """The current window's number and when the next one starts."""
    seconds = settings.REFEREE_SIGN_IN_WINDOW_SECONDS
    number = math.floor(timezone.now().timestamp() / seconds)
    return number, datetime.fromtimestamp((number + 1) * seconds, tz=UTC)


def spent_until(limits: list[Limit]) -> datetime | None:
    """When to try again if any of `limits` is spent in this window, else None. A cache that does
    not answer refuses nobody (it is logged): a sign-in page that cannot count still signs in."""
    number, ends = window()
    try:
        counts = cache.get_many([limit.key(number) for limit in limits])
    except Exception:
        log.exception("sign-in limits: the cache does not answer")
        return None
    spent = any(counts.get(limit.key(number), 0) >= limit.allowed for limit in limits)
    return ends if spent else None


def count(limits: list[Limit]) -> None:
    number, _ = window()
    for limit in limits:
        key = limit.key(number)
        try:
            # add() starts the count (and its lifetime) only if absent; incr() adds to it.
            if not cache.add(key, 1, timeout=settings.REFEREE_SIGN_IN_WINDOW_SECONDS + 60):
                cache.incr(key)
        except ValueError:  # the key expired between add() and incr(): a new window
            cache.add(key, 1, timeout=settings.REFEREE_SIGN_IN_WINDOW_SECONDS + 60)
        except Exception:
            log.exception("sign-in limits: the cache does not answer")


def forget(limits: list[Limit]) -> None:
    """A success clears the account's count (not the address's: one right password in many
    guesses from the same address must not reset the guessing)."""
    number, _ = window()
    try:
        cache.delete_many([limit.key(number) for limit in limits])
    except Exception:
        log.exception("sign-in limits: the cache does not answer")


def client_address(request) -> str:
    """The connecting address. Behind a reverse proxy that is the proxy's, so the per-address limit
    then counts all clients together (docs/deploy.md): X-Forwarded-For is not trusted, as anyone
    can send it."""
    return request.META.get("REMOTE_ADDR", "")


def seconds_until(until: datetime) -> int:
    return max(1, math.ceil((until - timezone.now()).total_seconds()))


def refusal(until: datetime) -> str:
    """The refusal in plain words: how long to wait and until when (UTC)."""
    minutes = math.ceil(seconds_until(until) / 60)
    return (f"Too many attempts. Please try again in {minutes} minute{'s' if minutes != 1 else ''}, "
            f"after {until.astimezone(UTC):%H:%M} UTC.")
