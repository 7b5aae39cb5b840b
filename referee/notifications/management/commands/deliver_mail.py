from django.core.management.base import BaseCommand

from referee.notifications.delivery import deliver_due


class Command(BaseCommand):
    # Without a broker there is no beat: run this from cron to retry mail that failed on commit.
    help = "Send every queued mail that is due (what the minute beat job does)."

    def handle(self, *args, **options):
        self.stdout.write(f"{deliver_due()} sent")
