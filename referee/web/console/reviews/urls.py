"""The Reviews tab has no routes of its own: it registers its tab."""

from referee.web.console import tabs
from referee.web.console.reviews import views

urlpatterns = []

tabs.register("reviews", "Reviews", views.tab, order=60)
