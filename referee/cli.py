"""The `referee` console command: Django's management commands under our name."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referee.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["referee", *sys.argv[1:]])


if __name__ == "__main__":
    main()
