from django.apps import AppConfig
from django.db.models.signals import post_migrate


def install_stored_profile_rows(using="default", **kwargs):
    """`migrate` also installs the triggers that keep each profile's nested rows rendered
    (referee.api.stored_rows), and renders them all again when the running code renders them
    otherwise."""
    from referee.reviewers.serializers_profiles import PROFILE_ROWS  # the serializers need the apps loaded

    PROFILE_ROWS.install(using)


class ReviewersConfig(AppConfig):
    name = "referee.reviewers"
    label = "reviewers"

    def ready(self):
        post_migrate.connect(install_stored_profile_rows, sender=self,
                             dispatch_uid="referee.reviewers.install_stored_profile_rows")
