"""The navigation bar: each area of the pages registers its entries with the predicate that says
who can use them, so a user sees only what they can use (and an area not installed adds nothing)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class Entry:
    url_name: str
    label: str
    shown_to: Callable  # (user) -> bool


ENTRIES: list[Entry] = []


def register(url_name: str, label: str, shown_to: Callable) -> None:
    ENTRIES.append(Entry(url_name, label, shown_to))


def context(request) -> dict:
    """Template context: `nav`, the entries this user can use, with the current one marked."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    nav = [{"url": reverse(entry.url_name), "label": entry.label} for entry in ENTRIES if entry.shown_to(user)]
    # The current entry is the longest that the path starts with (/reviews/assignments/ is "My
    # assignments", not also "My reviews" at /reviews/).
    here = max((e["url"] for e in nav if request.path.startswith(e["url"])), key=len, default=None)
    for e in nav:
        e["current"] = e["url"] == here
    return {"nav": nav}
