"""The console's routes. Each tab package brings its own (`call/<uuid>/manage/<tab>/…`) and
registers its tab when imported; a tab not built yet is simply absent."""

from importlib.util import find_spec

from django.urls import include, path

from referee.calls.predicates import can_open_console
from referee.web import navigation
from referee.web.console import views

TAB_PACKAGES = ("overview", "pool", "matching", "assignments", "batches", "reviews", "audit", "csv")

urlpatterns = [
    path("manage/", views.calls, name="console-calls"),
    path("call/<uuid:uuid>/manage/", views.call, name="console"),
    *(path("", include(f"referee.web.console.{name}.urls")) for name in TAB_PACKAGES
      if find_spec(f"referee.web.console.{name}") is not None),
]

navigation.register("console-calls", "Manage calls", can_open_console)
