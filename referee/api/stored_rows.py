"""An owner's nested rows kept rendered, beside the owner, by PostgreSQL triggers.

A page of 100 reviewer profiles renders about 900 nested rows (affiliations, expertise,
publications with their abstracts). api.json_sql has PostgreSQL write them as JSON texts: three
statements, 5 ms of a page on the bench machine, every time the page is read, though the rows
change rarely. Here a table `<owner table>_rendered` keeps, per owner, one text per relation: its
rows' texts already joined by commas (the inside of the JSON array, "" for none). A page reads
its owners' texts in one statement of about 1 ms (docs/benchmarks.md, "Sixteenth pass").

The table is not the owner's own: as columns of the profile, the texts made its heap 40 times
larger (712 kB → 30 MB), and every scan of profiles (a manager's count) read them.

The texts are the ones api.json_sql writes: the triggers run the SQL it builds from the
serializers. What keeps them right:
- Statement triggers on the nested table (insert, update, delete: the owners of the old and new
  rows; truncate: every owner) and on each related table its SQL reads (an update of the
  affiliation's organisation: the owners of the rows that point at it) render those owners again.
  A trigger locks the owners' kept rows first, in id order, and renders in a statement of its
  own, so it sees every transaction that wrote to them before it (READ COMMITTED takes a snapshot
  per statement): two writers of one owner take turns, and the second renders both rows. Rendered
  in the statement that waited, it would have dropped the first writer's row
  (tests/concurrency/test_stored_rows_concurrency.py).
- Triggers on the owner add its kept row ("" for each relation) and remove it.
- `install` (after every `migrate`) builds the SQL from the serializers of the running code. When
  it differs from the installed one, it replaces the functions and triggers and renders every
  owner again, in one transaction.
- Every kept row carries the version (a hash of that SQL) it was rendered by. A reader takes a
  row's texts only when the version is its own code's: code whose SQL changed before `migrate`
  ran reads as before (api.queries.attach_rendered), and so does code deployed before its first
  `migrate` (no table yet: each process asks once whether its version is installed), another
  time zone or a field without SQL rendering (no plan at all). So does a relation whose text is NULL: one of its rows
  has no exact SQL text (api.json_sql), and its serializer renders it.
- With `VERIFY` on (the test suite), every read also renders its owners' rows afresh and must
  find the kept texts, so a write that a trigger missed fails the test that reads it.

Writers of an owner's nested rows now take that owner's kept row lock for the rest of their
transaction: writers of different owners never wait for each other. PostgreSQL only; SQLite
keeps the other paths."""

import hashlib
import time

from django.db import connections, router, transaction
from django.db.models import F, Window
from django.db.models.expressions import OrderBy
from django.db.models.functions import RowNumber

from referee.api.json_sql import row_object, row_relations
from referee.api.renderers import JSONArray
from referee.core.statements import STAND_IN

VERIFY = False  # also render afresh on every read and compare (set by the test suite)
CHUNK = 5_000  # owners rendered per statement when every owner is rendered again
ASK_AGAIN = 60  # seconds before a process asks again whether its triggers are installed

TABLE = "CREATE TABLE IF NOT EXISTS {kept} (owner_id bigint PRIMARY KEY, version text NOT NULL)"
# Not compressed (EXTERNAL): a page's read copies 100 owners' texts out as they are, with no decompression.
COLUMN = "ALTER TABLE {kept} ADD COLUMN IF NOT EXISTS {column} text, ALTER COLUMN {column} SET STORAGE EXTERNAL"
RENDER = """
CREATE OR REPLACE FUNCTION {function}(owners bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM {kept} WHERE owner_id = ANY(owners) ORDER BY owner_id FOR UPDATE;
  UPDATE {kept} AS kept SET {column} = CASE WHEN rendered.owner IS NULL THEN '' ELSE rendered.text END
    FROM {kept} AS listed LEFT JOIN ({rendered}) AS rendered ON rendered.owner = listed.owner_id
   WHERE listed.owner_id = ANY(owners) AND kept.owner_id = listed.owner_id;
END $$"""
# The owners' rows rendered: each owner's texts in the queryset's order, NULL when one is inexact.
RENDERED = """SELECT rows.{key} AS owner, CASE WHEN count(rows.json_row_text) = count(*)
  THEN string_agg(rows.json_row_text, ',' ORDER BY rows.json_row_position) END AS text
  FROM ({rows}) AS rows GROUP BY rows.{key}"""
CHANGED = """
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  {action};
  RETURN NULL;
END $$"""
DROP_TRIGGER = "DROP TRIGGER IF EXISTS {function} ON {table}"
TRIGGER = "CREATE TRIGGER {function} AFTER {op} ON {table} {transitions} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
TRANSITIONS = {"INSERT": "REFERENCING NEW TABLE AS new_rows", "DELETE": "REFERENCING OLD TABLE AS old_rows",
               "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows", "TRUNCATE": ""}
OWN_ROWS = {"INSERT": "SELECT {key} FROM new_rows WHERE {key} IS NOT NULL",
            "DELETE": "SELECT {key} FROM old_rows WHERE {key} IS NOT NULL",
            "UPDATE": "SELECT {key} FROM old_rows WHERE {key} IS NOT NULL UNION SELECT {key} FROM new_rows"}
POINTING = "SELECT DISTINCT nested.{key} FROM {table} AS nested JOIN new_rows ON nested.{column} = new_rows.{target}"
EVERY_OWNER = "SELECT owner_id FROM {kept}"
# An owner's row: "" for each relation (it has no rows yet); removed with the owner.
NEW_OWNERS = "INSERT INTO {kept} (owner_id, version, {columns}) SELECT {pk}, '{version}', {empty} FROM new_rows"
GONE_OWNERS = "DELETE FROM {kept} WHERE owner_id IN (SELECT {pk} FROM old_rows)"
EVERY_OWNER_GONE = "DELETE FROM {kept}"
MISSING_OWNERS = ("INSERT INTO {kept} (owner_id, version) SELECT {pk}, '' FROM {owner} "
                  "WHERE {pk} NOT IN (SELECT owner_id FROM {kept})")
EXTRA_OWNERS = "DELETE FROM {kept} WHERE owner_id NOT IN (SELECT {pk} FROM {owner})"
VERSION_FUNCTION = "CREATE OR REPLACE FUNCTION {function}() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT '{version}' $$"


class Plan:
    """The SQL of one owner's stored relations for the running code, on one database."""

    def __init__(self, stored, relations: list, connection):
        quote, owner, name = connection.ops.quote_name, stored.owner, stored.owner._meta.model_name
        self.owner, self.pk = quote(owner._meta.db_table), quote(owner._meta.pk.column)
        self.kept = quote(f"{owner._meta.db_table}_rendered")
        self.columns = [quote(source) for source in stored.relations]
        self.renders = [f"referee_{name}_{source}" for source in stored.relations]
        self.statements = [TABLE.format(kept=self.kept),
                           *(COLUMN.format(kept=self.kept, column=column) for column in self.columns)]
        self.rendered = []
        for (rows, key, built, relations_read), column, render in zip(relations, self.columns, self.renders,
                                                                     strict=True):
            rendered = RENDERED.format(key=quote(key), rows=_rows_sql(rows, key, built, connection))
            # Run with the owners as its one parameter: any other % is the SQL's own.
            self.rendered.append(rendered.replace("%", "%%").replace(owners_literal(connection), "%s"))
            self.statements.append(RENDER.format(function=render, kept=self.kept, column=column,
                                                 rendered=rendered.replace(owners_literal(connection), "owners")))
            table = quote(rows.model._meta.db_table)
            for op in ("INSERT", "UPDATE", "DELETE"):
                self._trigger(f"{render}_{op.lower()}", table, op,
                              f"PERFORM {render}(ARRAY({OWN_ROWS[op].format(key=quote(key))}))")
            self._trigger(f"{render}_truncate", table, "TRUNCATE",
                          f"PERFORM {render}(ARRAY({EVERY_OWNER.format(kept=self.kept)}))")
            for relation in sorted(relations_read, key=lambda field: field.name):
                related = relation.related_model._meta
                pointing = POINTING.format(key=quote(key), table=table, column=quote(relation.column),
                                           target=quote(relation.target_field.column))
                self._trigger(f"{render}_by_{related.model_name}", quote(related.db_table), "UPDATE",
                              f"PERFORM {render}(ARRAY({pointing}))")
        # The version names the SQL that renders: the owners' lifecycle below writes it.
        self.version = hashlib.sha256("\n".join(self.statements).encode()).hexdigest()[:32]
        self._trigger(f"referee_{name}_rendered_new", self.owner, "INSERT", NEW_OWNERS.format(
            kept=self.kept, columns=", ".join(self.columns), pk=self.pk, version=self.version,
            empty=", ".join("''" for _ in self.columns)))
        self._trigger(f"referee_{name}_rendered_gone", self.owner, "DELETE", GONE_OWNERS.format(
            kept=self.kept, pk=self.pk))
        self._trigger(f"referee_{name}_rendered_truncate", self.owner, "TRUNCATE",
                      EVERY_OWNER_GONE.format(kept=self.kept))
        self.version_function = f"referee_{name}_rendered_version"
        self.statements.append(VERSION_FUNCTION.format(function=self.version_function, version=self.version))
        texts = ", ".join(f"CASE WHEN version = '{self.version}' THEN {column} END" for column in self.columns)
        self.read = f"SELECT owner_id, {texts} FROM {self.kept} WHERE owner_id = ANY(%s::bigint[])"
        self.complete = [MISSING_OWNERS.format(kept=self.kept, pk=self.pk, owner=self.owner),
                         EXTRA_OWNERS.format(kept=self.kept, pk=self.pk, owner=self.owner)]

    def _trigger(self, function: str, table: str, op: str, action: str) -> None:
        self.statements += [CHANGED.format(function=function, action=action),
                            DROP_TRIGGER.format(function=function, table=table),
                            TRIGGER.format(function=function, table=table, op=op, transitions=TRANSITIONS[op])]


def owners_literal(connection) -> str:
    """How the stand-in list of owners is written into the composed SQL, replaced by the trigger's
    argument (or a parameter)."""
    return connection.ops.compose_sql("%s", [[STAND_IN]])


def _rows_sql(rows, key: str, built, connection) -> str:
    """The relation's rows of the stand-in owners, with their JSON text and position in the
    queryset's order, as SQL with every value written in."""
    ordering = [OrderBy(F(name.lstrip("-")), descending=name.startswith("-"))
                for name in rows.query.order_by or rows.model._meta.ordering]
    query = (rows.annotate(json_row_text=built, json_row_position=Window(RowNumber(), order_by=ordering))
             .filter(**{f"{key}__any_of": [STAND_IN]}).order_by().values_list(key, "json_row_text", "json_row_position"))
    sql, params = query.query.sql_with_params()
    text = connection.ops.compose_sql(sql, params)
    if text.count(owners_literal(connection)) != 1 or "$$" in text or "%" in owners_literal(connection):
        raise ValueError(f"{rows.model.__name__}'s rows cannot be rendered by a trigger: {text}")
    return text


class StoredRows:
    """The nested relations `relations` ({serializer field's source: module-level queryset of its
    rows}) of `owner`, whose rows' `key` is the owner's pk, kept rendered as `serializer_class`'s
    nested fields render them."""

    def __init__(self, owner, serializer_class, relations: dict, key: str):
        self.owner, self.serializer_class, self.relations, self.key = owner, serializer_class, relations, key
        self._plans: dict = {}
        self._installed: dict = {}  # (database, version) → True, or when to ask again (time.monotonic)

    def plan(self, serializer, connection) -> Plan | None:
        """The SQL for the running code: None when a nested field has no exact SQL rendering here
        (api.json_sql: another time zone, a field without one) or reads beyond a related row."""
        fields = {field.source: field for field in serializer.fields.values()}
        relations = []
        for source, rows in self.relations.items():
            child = getattr(fields.get(source), "child", None)
            if child is None:
                return None
            built = row_object(child, rows.model, connection)
            relations_read = row_relations(child, rows.model, connection)
            if built is None or relations_read is None:
                return None
            relations.append((rows, self.key, built, relations_read))
        cache_key = (connection.alias, tuple((built.sql, tuple(built.params)) for _, _, built, _ in relations))
        plan = self._plans.get(cache_key)
        if plan is None:
            plan = self._plans[cache_key] = Plan(self, relations, connection)
        return plan

    def install(self, using: str) -> bool:
        """Install the triggers of the running code and render every owner again, unless they are
        installed already; True when it did."""
        connection = connections[using]
        if connection.vendor != "postgresql":
            return False
        plan = self.plan(self.serializer_class(), connection)
        if plan is None:
            return False
        with transaction.atomic(using=using), connection.cursor() as cursor:
            if installed_version(cursor, plan) == plan.version:
                return False
            for statement in [*plan.statements, *plan.complete]:
                cursor.execute(statement)
            cursor.execute(f"SELECT owner_id FROM {plan.kept} ORDER BY owner_id")
            owners = [row[0] for row in cursor.fetchall()]
            for start in range(0, len(owners), CHUNK):
                for render in plan.renders:
                    cursor.execute(f"SELECT {render}(%s::bigint[])", [owners[start:start + CHUNK]])
            cursor.execute(f"UPDATE {plan.kept} SET version = %s", [plan.version])
        return True

    def attach(self, objects, serializer) -> None:
        """Set each object's relations (its `source` attributes) to their stored texts (a
        `JSONArray`), where the row holds them for the running code; the others stay unset."""
        connection = connections[router.db_for_read(self.owner)]
        missing = [obj for obj in objects if any(source not in obj.__dict__ for source in self.relations)]
        if connection.vendor != "postgresql" or not missing:
            return
        plan = self.plan(serializer, connection)
        if plan is None or not self._is_installed(plan, connection):
            return
        ids = [obj.pk for obj in missing]
        with connection.cursor() as cursor:
            cursor.execute(plan.read, [ids])
            found = {row[0]: row[1:] for row in cursor.fetchall()}
        if VERIFY:
            _verify(plan, connection, ids, found)
        for obj in missing:
            for source, text in zip(self.relations, found.get(obj.pk, ()), strict=False):
                if text is not None and source not in obj.__dict__:
                    setattr(obj, source, JSONArray.joined(text))

    def _is_installed(self, plan: Plan, connection) -> bool:
        """Whether `migrate` installed this code's triggers: asked once per process, and again a
        minute later while it has not. Code deployed before its first `migrate` (no table yet) or
        before a `migrate` that changes the SQL (no row of its version) reads as before. Asked
        outside Django's query log, so that a process's first page counts as its others."""
        key = (connection.alias, plan.version)
        known = self._installed.get(key)
        if known is True or (known is not None and time.monotonic() < known):
            return known is True
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            installed = installed_version(cursor, plan) == plan.version
        self._installed[key] = True if installed else time.monotonic() + ASK_AGAIN
        return installed


def installed_version(cursor, plan: Plan) -> str | None:
    """The version of the triggers installed for `plan`'s owner, None when there are none."""
    cursor.execute("SELECT to_regproc(%s) IS NOT NULL", [plan.version_function])
    if not cursor.fetchone()[0]:
        return None
    cursor.execute(f"SELECT {plan.version_function}()")
    return cursor.fetchone()[0]


def _verify(plan: Plan, connection, ids: list, found: dict) -> None:
    """The stored texts equal the rows rendered now (outside Django's query log, so that the
    suite's query counts are the product's)."""
    with connection.connection.cursor() as cursor:
        for position, rendered in enumerate(plan.rendered):
            cursor.execute(rendered, [ids])
            fresh = dict(cursor.fetchall())
            for owner, texts in found.items():
                if texts[position] is not None and texts[position] != fresh.get(owner, ""):
                    raise AssertionError(f"stale stored rendering: {plan.columns[position]} of {plan.kept} {owner}")
