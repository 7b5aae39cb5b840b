"""My assignments (where every invitation mail links: `notifications.mails.REVIEWS_PATH`), the
answers to its items, and the proposal page."""

from django.urls import path

from referee.web import navigation
from referee.web.assignments import views

urlpatterns = [
    path("reviews/assignments/", views.my_assignments, name="my-assignments"),
    path("reviews/assignments/items/<uuid:uuid>/accept/", views.accept, name="accept-item"),
    path("reviews/assignments/items/<uuid:uuid>/decline/", views.decline, name="decline-item"),
    path("proposals/<uuid:uuid>/", views.proposal, name="proposal"),
]

# Every signed-in user has the page (empty unless they review); the navigation is signed-in only.
navigation.register("my-assignments", "My assignments", lambda user: True)
