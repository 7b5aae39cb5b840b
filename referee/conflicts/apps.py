from django.apps import AppConfig


class ConflictsConfig(AppConfig):
    name = "referee.conflicts"
    label = "conflicts"
