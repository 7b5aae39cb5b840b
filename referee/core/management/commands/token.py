from django.core.management.base import BaseCommand, CommandError

from referee.core.accounts import token_for
from referee.core.models import User


class Command(BaseCommand):
    help = "Print a user's API token (creating it on first use)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, **options):
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"No user named {options['username']!r}.") from None
        self.stdout.write(token_for(user))
