"""The call console's tabs: each tab package registers itself here when its URLconf is imported,
so the console shows exactly the tabs that are installed, in a fixed order."""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import QueryDict


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    view: Callable  # (request, call) -> HttpResponse
    order: int


TABS: dict[str, Tab] = {}
DEFAULT = "overview"
# Waldur's portal links (`?tab=reviewer-pool&pool_tab=…`), which the managers' mails carry
# (`notifications.mails.manage_path`), lead to the tab that shows the same thing here.
WALDUR_POOL_TABS = {"assignment_batches": "batches"}


def register(key: str, label: str, view: Callable, *, order: int) -> None:
    TABS[key] = Tab(key, label, view, order)


def in_order() -> list[Tab]:
    return sorted(TABS.values(), key=lambda tab: tab.order)


def chosen(params: QueryDict) -> Tab | None:
    """The tab a query string asks for (Waldur's names included); the first tab when none is
    asked for; None for an unknown name (the page answers 404)."""
    key = params.get("tab") or DEFAULT
    if key == "reviewer-pool":
        key = WALDUR_POOL_TABS.get(params.get("pool_tab", ""), "pool")
    if key not in TABS and key == DEFAULT and TABS:
        return in_order()[0]
    return TABS.get(key)
