"""Indexes that serve the list orders, created by migrations on PostgreSQL only.

They are raw SQL because their order is PostgreSQL's: a descending sort on a nullable column is
`DESC NULLS LAST` (CONTRACT §1), which only an index declared in that order can return without
sorting, and SQLite cannot declare one; the others follow the same path so that every list index
is written in one place and one way. They are not in the models' state, so `makemigrations`
neither sees nor drops them; the embedded SQLite database keeps the models' own indexes."""

from django.db import migrations

# The tie-breakers every list appends to its order (OrderingBackend.tie_breakers), as index columns.
TIES = "created DESC, uuid"


def postgresql_indexes(indexes: dict[str, str]) -> migrations.RunPython:
    """A migration operation creating {name: "table (columns)"} (and dropping them backwards)."""

    def create(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for name, definition in indexes.items():
                schema_editor.execute(f"CREATE INDEX {name} ON {definition}")

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for name in indexes:
                schema_editor.execute(f"DROP INDEX {name}")

    return migrations.RunPython(create, drop)


def order_key(name: str, table: str, column: str, *, nullable: bool = False) -> dict[str, str]:
    """The indexes of `o=column` and `o=-column`, each followed by the tie-breakers (a backward scan
    of one would reverse the ties too). A nullable column keeps NULLs last both ways: the
    ascending btree order already ends with them, the descending one must say so."""
    descending = "DESC NULLS LAST" if nullable else "DESC"
    return {name: f"{table} ({column}, {TIES})", f"{name}_desc": f"{table} ({column} {descending}, {TIES})"}
