from django.apps import AppConfig


class ReviewersConfig(AppConfig):
    name = "referee.reviewers"
    label = "reviewers"
