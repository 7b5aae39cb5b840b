from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate


def create_cache_table(using="default", **kwargs):
    """`migrate` also creates the cache table the sign-in limits count in (settings.cache_settings),
    so `make run` and a release need no extra step; with Redis as the cache it does nothing."""
    call_command("createcachetable", database=using, verbosity=0)


class WebConfig(AppConfig):
    name = "referee.web"
    label = "web"
    verbose_name = "Web pages"

    def ready(self):
        # Django signals post_migrate only for apps with models, which this one has not: after core's.
        post_migrate.connect(create_cache_table, sender=self.apps.get_app_config("core"),
                             dispatch_uid="referee.web.create_cache_table")
