"""The Audit tab has no routes of its own: it registers its tab."""

from referee.web.console import tabs
from referee.web.console.audit import views

urlpatterns = []

tabs.register("audit", "Audit", views.tab, order=70)
