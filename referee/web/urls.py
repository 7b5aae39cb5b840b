"""The pages: each area brings its own routes (and registers its navigation entries)."""

from django.urls import include, path

urlpatterns = [
    path("", include("referee.web.accounts.urls")),
    path("", include("referee.web.assignments.urls")),  # first: the navigation follows this order
    path("", include("referee.web.reviews.urls")),
    path("", include("referee.web.pool.urls")),
    path("", include("referee.web.profile.urls")),
    path("", include("referee.web.console.urls")),
]
