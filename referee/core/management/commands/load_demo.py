import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from referee import demo
from referee.imports import ImportInvalid, format_summary


class Command(BaseCommand):
    help = ("Load the demo call, proposals, reviewers and assignment batches (safe to run again), "
            "then print every demo user's password and API token, and a sign-in link for a reviewer.")

    def handle(self, *args, **options):
        try:
            stats, batches = demo.load()
        except ImportInvalid as exc:  # e.g. a demo ORCID already taken by a user created by hand
            raise CommandError("demo data refused:\n" + "\n".join(exc.errors)) from None
        self.stdout.write(format_summary(stats))
        self.stdout.write(f"assignment batches: {batches} created" if batches else
                          "assignment batches: already present, left as they are")

        path = Path(settings.VAR_DIR) / "demo-tokens.json"
        previous = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        users = demo.demo_users({name: entry.get("password", "") for name, entry in previous.items()})
        path.parent.mkdir(parents=True, exist_ok=True)
        # Keyed by username so scripts can say tokens["manager"]["token"] (README).
        accounts = {u["username"]: {"role": u["role"], "token": u["token"], "password": u["password"]} for u in users}
        path.write_text(json.dumps(accounts, indent=2) + "\n", encoding="utf-8")
        path.chmod(0o600)  # API tokens and passwords: readable by their owner only

        columns = ("username", "role", "password", "token")
        widths = {c: max(len(c), *(len(u[c]) for u in users)) for c in columns[:-1]}
        self.stdout.write("")
        self.stdout.write("  ".join(f"{c:<{widths[c]}}" for c in columns[:-1]) + "  token")
        for u in users:
            self.stdout.write("  ".join(f"{u[c]:<{widths[c]}}" for c in columns[:-1]) + f"  {u['token']}")
        self.stdout.write(f"\nPasswords and tokens written to {path}. Sign in to {settings.SITE_URL}/admin/ "
                          "(staff) with a password; call the API with `Authorization: Token <token>`.")
        username, link = demo.reviewer_sign_in_link()
        self.stdout.write(f"\nSign in as {username}, a reviewer with invitations to answer, with this link:\n  {link}")
