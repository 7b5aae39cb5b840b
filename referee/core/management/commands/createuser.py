from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from referee.core.accounts import create_user, token_for


class Command(BaseCommand):
    help = "Create a user and print their API token."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", required=True)
        parser.add_argument("--password")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        role = parser.add_mutually_exclusive_group()
        role.add_argument("--staff", action="store_true", help="manager powers everywhere")
        role.add_argument("--support", action="store_true", help="reads everything, writes nothing")

    def handle(self, *args, **options):
        try:
            user = create_user(
                options["username"], email=options["email"], password=options["password"],
                first_name=options["first_name"], last_name=options["last_name"],
                is_staff=options["staff"], is_support=options["support"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        self.stdout.write(token_for(user))
