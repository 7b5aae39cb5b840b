"""The Overview tab has no routes of its own: it registers its tab."""

from referee.web.console import tabs
from referee.web.console.overview import views

urlpatterns = []

tabs.register("overview", "Overview", views.tab, order=10)
