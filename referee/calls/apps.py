from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "referee.calls"
    label = "calls"
