"""Choose the test database for `make test` and say which (README, "Tests").

DATABASE_URL set → use it. Else a PostgreSQL server answering on 127.0.0.1:5432 → use it.
Else SQLite, except with CI=true, where PostgreSQL is required and its absence is an error."""

import os
import socket
import sys

LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"


def postgres_answers(host="127.0.0.1", port=5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url and postgres_answers():
        url = LOCAL_POSTGRES
    ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    if ci and not url.startswith(("postgres://", "postgresql://")):
        print("CI=true but no PostgreSQL answers on 127.0.0.1:5432 and DATABASE_URL is not PostgreSQL.", file=sys.stderr)
        return 1
    print(f"Tests use {url.split('@')[-1] if url else 'SQLite (embedded)'}", file=sys.stderr)
    print(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
