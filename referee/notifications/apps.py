from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "referee.notifications"
    label = "notifications"
