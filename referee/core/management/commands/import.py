import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from referee.imports import ImportInvalid, format_summary, import_file

# Small files finish before a bar is worth drawing.
PROGRESS_THRESHOLD = 200


class Command(BaseCommand):
    help = ("Import a call with its rounds, proposals, users, organisations, reviewers and pool from JSON "
            "(docs/import-format.md). Re-importing updates rows in place.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the JSON file")
        parser.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
        parser.add_argument("--no-progress", action="store_true", help="never show a progress bar")

    def handle(self, *args, file, dry_run, no_progress, **options):
        def progress(total):
            disabled = no_progress or total < PROGRESS_THRESHOLD or None  # None: only on a terminal
            return tqdm(total=total, unit="record", file=sys.stderr, disable=disabled)

        try:
            stats = import_file(file, progress=progress, dry_run=dry_run)
        except ImportInvalid as exc:
            count = len(exc.errors)
            raise CommandError(f"{file}: {count} problem{'s' * (count != 1)}, nothing imported:\n"
                               + "\n".join(exc.errors)) from None
        self.stdout.write(format_summary(stats))
        self.stdout.write("Dry run: nothing was written." if dry_run else f"Imported {file}.")
