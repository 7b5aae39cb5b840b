from django.apps import AppConfig
from django.db.backends.signals import connection_created

from referee.core import lookups  # noqa: F401 - registers `__any_of`
from referee.core.database import use_compiled_timestamp_loader, write_constants_as_literals


class CoreConfig(AppConfig):
    name = "referee.core"
    label = "core"
    verbose_name = "Referee core"

    def ready(self):
        connection_created.connect(use_compiled_timestamp_loader)
        connection_created.connect(write_constants_as_literals)
