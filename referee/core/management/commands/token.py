from django.core.management.base import BaseCommand, CommandError

from referee.core.accounts import token_for
from referee.core.models import User


class Command(BaseCommand):
    help = ("Print a user's API token (creating it on first use); with several usernames, one "
            "`username token` line each.")

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="+", metavar="username")

    def handle(self, *args, usernames, **options):
        users = User.objects.in_bulk(usernames, field_name="username")
        missing = [name for name in usernames if name not in users]
        if missing:
            raise CommandError(f"No user named {', '.join(map(repr, missing))}.")
        if len(usernames) == 1:
            self.stdout.write(token_for(users[usernames[0]]))
            return
        for name in usernames:
            self.stdout.write(f"{name} {token_for(users[name])}")
