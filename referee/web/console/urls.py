"""The console's routes. Each tab package brings its own (`call/<uuid>/manage/<tab>/…`) and
registers its tab when imported; a tab not built yet is simply absent."""

from importlib.util import find_spec
from uuid import UUID

from django.urls import include, path, register_converter

from referee.calls.predicates import can_open_console
from referee.web import navigation
from referee.web.console import views


class CallKey:
    """A call's uuid in hex (as the managers' mails write it, after Waldur's portal) or hyphenated."""

    regex = "[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

    def to_python(self, value: str) -> UUID:
        return UUID(value)

    def to_url(self, value) -> str:
        return str(value)


register_converter(CallKey, "call_key")

TAB_PACKAGES = ("overview", "pool", "matching", "assignments", "batches", "reviews", "audit", "csv")

urlpatterns = [
    path("manage/", views.calls, name="console-calls"),
    path("call/<call_key:uuid>/manage/", views.call, name="console"),
    *(path("", include(f"referee.web.console.{name}.urls")) for name in TAB_PACKAGES
      if find_spec(f"referee.web.console.{name}") is not None),
]

navigation.register("console-calls", "Manage calls", can_open_console)
