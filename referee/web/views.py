"""Server-rendered pages. Thin: load, check with the shared predicates, call one domain function,
render (docs/architecture.md)."""

from django.conf import settings
from django.shortcuts import render


def home(request):
    """What Referee is, and where to go: the API documentation, the admin, the health check."""
    return render(request, "web/home.html", {"version": settings.SPECTACULAR_SETTINGS["VERSION"]})
