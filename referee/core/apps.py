from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "referee.core"
    label = "core"
    verbose_name = "Referee core"

    def ready(self):
        # Bind @shared_task to our Celery app; kept out of referee/__init__ so that the pure
        # library referee.matching imports without Celery or Django.
        import referee.celery  # noqa: F401
