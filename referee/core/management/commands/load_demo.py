import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from referee import demo
from referee.imports import ImportInvalid, format_summary


class Command(BaseCommand):
    help = ("Load the demo call, proposals, reviewers and assignment batches (safe to run again), "
            "then print every demo user's API token.")

    def handle(self, *args, **options):
        try:
            stats, batches = demo.load()
        except ImportInvalid as exc:  # e.g. a demo ORCID already taken by a user created by hand
            raise CommandError("demo data refused:\n" + "\n".join(exc.errors)) from None
        self.stdout.write(format_summary(stats))
        self.stdout.write(f"assignment batches: {batches} created" if batches else
                          "assignment batches: already present, left as they are")

        users = demo.demo_users()
        path = Path(settings.VAR_DIR) / "demo-tokens.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        # Keyed by username so scripts can say tokens["manager"]["token"] (README).
        tokens = {u["username"]: {"role": u["role"], "token": u["token"]} for u in users}
        path.write_text(json.dumps(tokens, indent=2) + "\n", encoding="utf-8")
        path.chmod(0o600)  # API tokens: readable by their owner only

        width = max(len(u["username"]) for u in users)
        role_width = max(len(u["role"]) for u in users)
        self.stdout.write("")
        self.stdout.write(f"{'username':<{width}}  {'role':<{role_width}}  token")
        for u in users:
            self.stdout.write(f"{u['username']:<{width}}  {u['role']:<{role_width}}  {u['token']}")
        self.stdout.write(f"\nTokens written to {path}; send one as `Authorization: Token <token>`.")
