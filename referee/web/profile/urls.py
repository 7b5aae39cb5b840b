from django.urls import path

from referee.web import navigation
from referee.web.profile import views

urlpatterns = [
    path("profile/", views.my_profile, name="my-profile"),
    path("profile/publishing/", views.publish, name="profile-publish"),
    path("profile/time-zone/", views.time_zone, name="profile-time-zone"),
    path("profile/publications/<uuid:uuid>/exclusion/", views.exclude_publication, name="profile-publication-exclusion"),
    path("profile/<str:key>/", views.add_row, name="profile-rows"),
    path("profile/<str:key>/<uuid:uuid>/", views.row, name="profile-row"),
    path("profile/<str:key>/<uuid:uuid>/edit/", views.edit_row, name="profile-row-edit"),
    path("profile/<str:key>/<uuid:uuid>/remove/", views.remove_row, name="profile-row-remove"),
]


def every_signed_in_user(user) -> bool:
    """Anyone signed in may keep a reviewer profile (the API's `me/` takes every user)."""
    return True


navigation.register("my-profile", "My profile", every_signed_in_user)
