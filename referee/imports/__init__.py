"""Bulk import of a call, its rounds, proposals, users, organisations, reviewers and pool from
one JSON file (docs/import-format.md): validate everything, then write it in one transaction.

    summary = import_file("call.json")          # or import_data(parsed_json)
    print(format_summary(summary))
"""

import json
from collections import Counter
from pathlib import Path

from django.db import transaction

from referee.imports import loader, references, schema
from referee.imports.schema import ImportInvalid

__all__ = ["ImportInvalid", "import_data", "import_file", "format_summary"]


def import_data(raw, *, progress=None, dry_run: bool = False) -> dict[str, Counter]:
    """Validate and write `raw` (parsed JSON); returns {entity: Counter(created/updated/unchanged)}.

    `progress(total=n)` may return a tqdm-like bar (`update()`, `close()`). With `dry_run` nothing
    is written (and the transaction is rolled back all the same), and the summary tells what an
    import would do."""
    with transaction.atomic():
        errors: list[str] = []
        data = schema.validate(raw, errors)
        # References are read inside the transaction so the writes see what was checked.
        references.resolve(data, errors)
        if errors:
            raise ImportInvalid(errors)
        bar = progress(total=data.size) if progress else None
        try:
            stats = loader.Loader(tick=bar.update if bar else None, write=not dry_run).load(data)
        finally:
            if bar:
                bar.close()
        if dry_run:
            transaction.set_rollback(True)
    return stats


def read_file(path) -> object:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ImportInvalid([f"{path}: cannot read: {exc.strerror}"]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportInvalid([f"{path}: not valid JSON: {exc}"]) from None


def import_file(path, **options) -> dict[str, Counter]:
    return import_data(read_file(path), **options)


ENTITIES = ("organisations", "users", "calls", "rounds", "proposals", "reviewers", "affiliations", "expertise",
            "publications", "pool entries")


def format_summary(stats: dict[str, Counter]) -> str:
    columns = (loader.CREATED, loader.UPDATED, loader.UNCHANGED)
    rows = [f"{'':<14}" + "".join(f"{c:>11}" for c in columns)]
    for entity in ENTITIES:
        if entity in stats:
            rows.append(f"{entity:<14}" + "".join(f"{stats[entity][c]:>11}" for c in columns))
    return "\n".join(rows)
