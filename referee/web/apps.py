from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "referee.web"
    label = "web"
    verbose_name = "Web pages"
