from django.urls import path

from referee.web import navigation
from referee.web.reviews import views

urlpatterns = [
    path("reviews/", views.my_reviews, name="my-reviews"),
    path("reviews/<uuid:uuid>/", views.review, name="review"),
]

# Anyone signed in may hold a review: a manager can give one directly to any user (§3.11).
navigation.register("my-reviews", "My reviews", lambda user: True)
