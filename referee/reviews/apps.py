from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "referee.reviews"
    label = "reviews"
