"""Exact row counts of the largest lists, kept per call by PostgreSQL triggers.

`X-Result-Count` is exact (the Waldur contract), and an exact `COUNT(*)` costs about 75 ns per
visible row even from an index alone: 8 ms for 100,000 batches, 20 ms for 300,000 events, more
for a manager's items, reached through their batches. The triggers here keep, in
`core.RowCount`, how many rows of a table each call holds (call 0: rows of no call), so a list
that no filter narrows is counted from a few counter rows (`counted`): the lists of the API's
resources, and a call action's list of its own rows (`RefereeViewSet.paginated`'s `counted_in`).

Writers never wait for each other: a write statement adds its change as a new row, after
deleting and summing into it the committed rows of the same (table, call) that no other open
transaction is compacting (`FOR UPDATE SKIP LOCKED`). A reader sums the rows its snapshot sees,
which always add up to the table's rows at that snapshot: a transaction's compaction and its own
change commit (or roll back) together. The rows of a key stay about as many as the writers in
flight. `TRUNCATE` (Django's flush) empties the counters with the counted tables, since the
counter table is a model's.

Counted: audit events, batches and items, reviews (under their proposal's call), pool entries,
bids, conflicts, proposed assignments and proposals. A counted row never moves to another call (guards,
`keeps`), so only inserts and deletes are counted.

PostgreSQL only: the embedded SQLite database counts with `COUNT(*)`, as before."""

from django.db import connection, migrations, models
from django.db.models import BigIntegerField, Func, QuerySet

COUNTS = "core_rowcount"
BATCH = "assignments_assignmentbatch"
ITEM = "assignments_assignmentitem"
REVIEW = "reviews_review"
PROPOSAL = "calls_proposal"

# Adds `delta` to (tbl, call), folding in the committed rows of that key no one else is folding.
ADD = f"""
CREATE FUNCTION referee_count_add(tbl text, call bigint, delta bigint) RETURNS void LANGUAGE sql AS $$
  WITH gone AS (
    DELETE FROM {COUNTS} WHERE id IN (
      SELECT id FROM {COUNTS} WHERE table_name = tbl AND call_id = call FOR UPDATE SKIP LOCKED)
    RETURNING n)
  INSERT INTO {COUNTS} (table_name, call_id, n) SELECT tbl, call, delta + COALESCE(SUM(n), 0) FROM gone;
$$"""

# Statement triggers, for INSERT, DELETE and UPDATE: `calls` reads the call of each row of a
# transition table ({rows}); an UPDATE moves the rows whose call changed (events lose theirs when
# their call is deleted). The keys are added in call order, the same in every transaction.
STATEMENT = """
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  row record;
BEGIN
  FOR row IN SELECT call_id, SUM(n) AS n FROM ({changes}) AS changes
             GROUP BY call_id HAVING SUM(n) <> 0 ORDER BY call_id LOOP
    PERFORM referee_count_add(TG_TABLE_NAME, row.call_id, row.n);
  END LOOP;
  RETURN NULL;
END $$"""
CHANGES = {
    "INSERT": "SELECT call_id, 1 AS n FROM ({new}) AS rows",
    "DELETE": "SELECT call_id, -1 AS n FROM ({old}) AS rows",
    "UPDATE": "SELECT call_id, -1 AS n FROM ({old}) AS old UNION ALL SELECT call_id, 1 FROM ({new}) AS new",
}
TRANSITIONS = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows",
               "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}
OWN_CALL = "SELECT COALESCE(call_id, 0) AS call_id FROM {rows}"
BATCH_CALL = f"SELECT batch.call_id FROM {{rows}} AS counted JOIN {BATCH} AS batch ON batch.id = counted.batch_id"
PROPOSAL_CALL = (f"SELECT proposal.call_id FROM {{rows}} AS counted "
                 f"JOIN {PROPOSAL} AS proposal ON proposal.id = counted.proposal_id")
WRITES = ("INSERT", "DELETE")  # the ops of a table whose rows stay in their call
# A row that must not move (batches and items are counted under their call for good; no code path
# moves them): a guard instead of an UPDATE trigger that every status change would run.
KEEPS = """
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '{message}';
END $$"""
KEEPS_TRIGGER = """
CREATE TRIGGER {name} BEFORE UPDATE OF {column} ON {table} FOR EACH ROW
  WHEN (OLD.{column} IS DISTINCT FROM NEW.{column}) EXECUTE FUNCTION {name}()"""


def install_add_function() -> migrations.RunPython:
    return _postgresql([ADD], ["DROP FUNCTION referee_count_add(text, bigint, bigint)"])


def count_by_call(table: str, calls: str = OWN_CALL, ops=tuple(TRANSITIONS)) -> migrations.RunPython:
    """Triggers keeping `table`'s counts per call (`calls` reads a row's call), and the counts of
    the rows already there. Creating a trigger takes a lock that holds writes to the table until
    the migration commits, so no row is missed between the two."""
    forward, backward = [], []
    for op in ops:
        name, transitions = f"referee_count_{table}_{op.lower()}", TRANSITIONS[op]
        changes = CHANGES[op].format(new=calls.format(rows="new_rows"), old=calls.format(rows="old_rows"))
        forward += [STATEMENT.format(name=name, changes=changes),
                    f"CREATE TRIGGER {name} AFTER {op} ON {table} REFERENCING {transitions} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"]
        backward += [f"DROP TRIGGER {name} ON {table}", f"DROP FUNCTION {name}()"]
    forward.append(f"INSERT INTO {COUNTS} (table_name, call_id, n) SELECT '{table}', call_id, COUNT(*) "
                   f"FROM ({calls.format(rows=table)}) AS rows GROUP BY call_id")
    backward.append(f"DELETE FROM {COUNTS} WHERE table_name = '{table}'")
    return _postgresql(forward, backward)


def keeps(table: str, column: str, message: str) -> migrations.RunPython:
    """A guard refusing an UPDATE that changes `column` of a row of `table`."""
    name = f"referee_{table}_keeps_{column}"
    fields = {"name": name, "table": table, "column": column, "message": message}
    return _postgresql([KEEPS.format(**fields), KEEPS_TRIGGER.format(**fields)],
                       [f"DROP TRIGGER {name} ON {table}", f"DROP FUNCTION {name}()"])


def call_copied_from(model: str, table: str, parent: str, key: str, index: list[str], index_name: str,
                     message: str) -> list:
    """Migration operations giving `model` (its `table`) the call of the `parent` table's row its
    column `key` points to: a nullable column filled by one UPDATE, then required, indexed by
    `index` (which leads with the call: no plain foreign-key index), and guarded by `keeps`."""
    def call(null: bool):
        return models.ForeignKey(db_index=False, editable=False, null=null, on_delete=models.CASCADE,
                                 related_name="+", to="calls.call")

    fill = f"UPDATE {table} SET call_id = (SELECT call_id FROM {parent} WHERE {parent}.id = {table}.{key})"
    return [
        migrations.AddField(model_name=model, name="call", field=call(null=True)),
        migrations.RunSQL(fill, migrations.RunSQL.noop),
        migrations.AlterField(model_name=model, name="call", field=call(null=False)),
        migrations.AddIndex(model_name=model, index=models.Index(fields=index, name=index_name)),
        keeps(table, "call_id", message),
    ]


def _postgresql(forward: list[str], backward: list[str]) -> migrations.RunPython:
    def run(statements):
        def apply(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                for statement in statements:
                    schema_editor.execute(statement)
        return apply

    return migrations.RunPython(run(forward), run(backward))


def counted(model, call_ids=None, plus=None) -> int:
    """`model`'s rows in `call_ids` (every row when None; ids, or a queryset of them) from the
    counters, plus the rows of the queryset `plus` counted exactly, in one statement. PostgreSQL
    only (`counts_kept`).

    Written as SQL: Django's `aggregate()` cloned, resolved and compiled a query around these few
    counter rows (0.6 ms of Python per staff list request, 2.7 ms per manager's; 0.15 and 1.2 ms
    as one statement). Only the querysets given are compiled by Django."""
    sql, params = f"SELECT COALESCE(SUM(n), 0) FROM {COUNTS} WHERE table_name = %s", [model._meta.db_table]
    if isinstance(call_ids, QuerySet):
        ids_sql, ids_params = call_ids.query.sql_with_params()
        sql, params = f"{sql} AND call_id IN ({ids_sql})", [*params, *ids_params]
    elif call_ids is not None:
        sql, params = f"{sql} AND call_id = ANY(%s::bigint[])", [*params, list(call_ids)]
    if plus is not None:
        exact = plus.order_by().annotate(n=Func(template="COUNT(*)", output_field=BigIntegerField())).values("n")
        exact_sql, exact_params = exact.query.sql_with_params()
        sql, params = f"SELECT ({sql}) + ({exact_sql})", [*params, *exact_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])  # SUM of bigint is numeric


def counts_kept() -> bool:
    return connection.vendor == "postgresql"
