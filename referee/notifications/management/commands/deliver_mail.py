from django.core.management.base import BaseCommand

from referee.notifications.delivery import deliver_due


class Command(BaseCommand):
    # For operators: flush the outbox now (beat or the embedded timer also sweep it every minute).
    help = "Send every queued mail that is due (what the minute beat job does)."

    def handle(self, *args, **options):
        self.stdout.write(f"{deliver_due()} sent")
