from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "referee.core"
    label = "core"
    verbose_name = "Referee core"
