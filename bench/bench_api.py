"""API list benchmark: every list endpoint under /api/ on 100,000 batches and 200,000 items.

    DATABASE_URL=postgres://…/referee_bench python -m bench.bench_api [--runs 7] [--clients 8]
        [--requests 10] [--warm 20] [--port 8765] [--only assignment-batches,…] [--reload] [--dump DIR]
        [--in-process RUNS [--json FILE]] [--statements RUNS]

Creates the database if it is missing, migrates it and loads the volume of bench.api_volume
once (a database that already holds it is reused; `--reload` empties it first). Then serves it
with `referee serve` in a subprocess (periodic jobs off) and measures, for staff, a manager of
two of the ten calls and a reviewer, each list at page_size=100: the median wall time of `--runs`
sequential requests, and p50/p95 under `--clients` threads each sending `--requests` requests
(one kept-alive connection per thread), beside `/health/` in the same run. The SQL statements of
one request are counted in-process (Django's test client). Prints a markdown table.

Before timing a list, `--clients` clients send `--warm` requests each (20: about ten for each of
the server's 16 threads), so that it is measured as a server that has served it before: each
thread keeps its own database connection, and PostgreSQL plans a statement afresh for its first
executions on a connection (a list's first requests on a new connection took up to three
times as long). `--warm 0` measures the first requests instead.

The clients are Python's own `http.client`, reading each body whole: the load generator shares
the server's two cores, and httpx took 4.6–4.8 ms of CPU per 700 kB page of profiles against 0.8 ms
(docs/benchmarks.md, "Seventeenth pass"), a tenth of the machine taken from the server measured.

`--dump DIR` writes instead, for every list, role and `o` key (both directions), the status,
headers and body of pages 1 and 2 as the in-process client gets them at a frozen clock, so that
two checkouts can be compared byte for byte (`diff -r`).

`--in-process RUNS` times every list and role in this process instead (Django's test client, no
HTTP, no server, the application loaded as a server's worker loads it, `referee.wsgi`): the
median of RUNS requests after WARM_UP requests, the mean CPU time of this
process and (on a local server) of the connection's PostgreSQL backend per request, and the SQL
statements of one, as a table and, with `--json FILE`, as JSON. Over HTTP on a shared machine,
load moves the numbers by a factor of two; comparing checkouts in-process, alternating runs and
keeping each cell's lowest value, measures what a change does to the server's own work (CPU time
least disturbed by the load).

`--statements RUNS` times each statement of one request as the server runs it: prepared, with
its parameters (the median of RUNS). Copied with its values written in, as the query log shows
it, a statement is planned for them on every run, and may not take the server's generic plan
(docs/benchmarks.md, "Fifteenth pass": 1.6 ms that way, 0.78 ms as the server runs it)."""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referee.settings")

import django

django.setup()

import httpx
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench import api_volume
from referee.core.models import User

PAGE_SIZE = 100
TARGET_SINGLE_MS = 20
TARGET_P95_MS = 100
ROLES = ("staff", "manager", "reviewer")
CALL_SCOPED = "call: "  # lists of a call's actions: a reviewer gets 403
# In-process requests before timing: a server's connections have run each list's statements
# before, and PostgreSQL plans a prepared statement afresh for its first five executions.
WARM_UP = 8


def roles_of(name: str, roles) -> list[str]:
    return [role for role in roles if role != "reviewer" or not name.startswith(CALL_SCOPED)]


def endpoints() -> dict[str, str]:
    """Every list route, the call-scoped ones (managers only) on the first call the bench manager
    manages."""
    from referee.calls.models import Call

    call = Call.objects.filter(managers__username="bench-manager").order_by("slug").first().uuid.hex
    scoped = f"/api/proposal-protected-calls/{call}"
    return {
        "assignment-batches": "/api/assignment-batches/",
        "assignment-items": "/api/assignment-items/",
        "my-assignment-batches": "/api/my-assignment-batches/",
        "proposed-assignments": "/api/proposed-assignments/",
        "proposal-reviews": "/api/proposal-reviews/",
        "call-reviewer-pools": "/api/call-reviewer-pools/",
        "conflicts-of-interest": "/api/conflicts-of-interest/",
        "coi-detection-jobs": "/api/coi-detection-jobs/",
        "reviewer-bids": "/api/reviewer-bids/",
        "reviewer-bids/my-bids": "/api/reviewer-bids/my-bids/",
        "reviewer-profiles": "/api/reviewer-profiles/",
        "proposal-proposals": "/api/proposal-proposals/",
        "proposal-protected-calls": "/api/proposal-protected-calls/",
        "call-assignment-configurations": "/api/call-assignment-configurations/",
        "events": "/api/events/",
        "users": "/api/users/",
        "customers": "/api/customers/",
        CALL_SCOPED + "reviewer-pool": f"{scoped}/reviewer-pool/",
        CALL_SCOPED + "conflicts": f"{scoped}/conflicts/",
        CALL_SCOPED + "proposed-assignments": f"{scoped}/proposed-assignments/",
    }


# --- database ---------------------------------------------------------------------------------------

def prepare(seed: int, reload: bool) -> None:
    if connection.vendor != "postgresql":
        raise SystemExit("bench_api needs DATABASE_URL pointing at PostgreSQL")
    ensure_database()
    if reload:
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", interactive=False, verbosity=0)
    if not api_volume.loaded():
        if User.objects.exists():
            raise SystemExit("the database holds other data: use an empty one, or --reload to empty it")
        start = time.perf_counter()
        api_volume.load(seed)
        print(f"Volume loaded in {time.perf_counter() - start:.0f} s.\n", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")  # what autovacuum keeps up between requests in production


def ensure_database() -> None:
    """CREATE DATABASE through the server's maintenance database when the named one is missing."""
    import psycopg

    settings = connection.settings_dict
    params = {"host": settings["HOST"], "port": settings["PORT"] or 5432, "user": settings["USER"],
              "password": settings["PASSWORD"] or None}
    try:
        psycopg.connect(dbname=settings["NAME"], **params).close()
    except psycopg.OperationalError:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            admin.execute(f'CREATE DATABASE "{settings["NAME"]}"')


# --- in-process: SQL statements, dumps ----------------------------------------------------------------

def clients() -> dict[str, Client]:
    return {role: Client(HTTP_AUTHORIZATION=f"Token {token}") for role, token in api_volume.tokens().items()}


def count_queries(client: Client, path: str) -> tuple[int, str]:
    """(SQL statements of one request, X-Result-Count) after a warm-up request."""
    client.get(path, {"page_size": PAGE_SIZE})
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, {"page_size": PAGE_SIZE})
    if response.status_code != 200:
        raise SystemExit(f"{path}: {response.status_code} {response.content[:200]!r}")
    return len(queries), response.headers.get("X-Result-Count", "")


def in_process(paths: dict[str, str], roles, runs: int) -> list[dict]:
    """Median wall time (ms) of `runs` in-process requests per list and role, after a warm-up."""
    local, rows = clients(), []
    for name, path in paths.items():
        for role in roles_of(name, roles):
            client = local[role]
            queries, count = count_queries(client, path)
            for _ in range(WARM_UP):
                client.get(path, {"page_size": PAGE_SIZE})
            times, python, database = [], time.process_time(), backend_cpu_ms()
            for _ in range(runs):
                start = time.perf_counter()
                client.get(path, {"page_size": PAGE_SIZE})
                times.append((time.perf_counter() - start) * 1000)
            python = (time.process_time() - python) * 1000 / runs
            database = (backend_cpu_ms() - database) / runs if database is not None else None
            rows.append({"name": name, "role": role, "count": count, "queries": queries,
                         "median": statistics.median(times), "python_cpu": python, "database_cpu": database})
            print(f"| {name} | {role} | {count} | {queries} | {rows[-1]['median']:.1f} | {python:.1f} "
                  f"| {'' if database is None else f'{database:.1f}'} |", flush=True)
    return rows


def statement_times(paths: dict[str, str], roles, runs: int) -> None:
    """The median time (ms) of each statement of one request, run `runs` times as the server does."""
    local = clients()
    print("| list | role | statement | median (ms) | SQL |\n|---|---|---:|---:|---|")
    for name, path in paths.items():
        for role in roles_of(name, roles):
            for _ in range(WARM_UP):
                local[role].get(path, {"page_size": PAGE_SIZE})
            executed = sent_statements(local[role], path)
            with connection.cursor() as cursor:
                for number, (sql, params) in enumerate(executed, 1):
                    times = []
                    for _ in range(runs):
                        start = time.perf_counter()
                        cursor.execute(sql, params)
                        cursor.fetchall()
                        times.append((time.perf_counter() - start) * 1000)
                    print(f"| {name} | {role} | {number} | {statistics.median(times):.2f} | "
                          f"{' '.join(sql.split())[:90]} |", flush=True)


def sent_statements(client: Client, path: str) -> list[tuple]:
    """(SQL, parameters) of each statement of one request, as sent to the database: the innermost
    execute wrapper, after the project's own (referee.core.database)."""
    executed = []

    def record(execute, sql, params, many, context):
        executed.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        client.get(path, {"page_size": PAGE_SIZE})
    return executed


def backend_cpu_ms() -> float | None:
    """CPU time (ms) of this connection's PostgreSQL backend so far, when the server runs on this
    machine and its /proc is readable; None otherwise. Clock ticks (10 ms): divide over many requests."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def dump(directory: Path, paths: dict[str, str]) -> None:
    """Pages 1 and 2 of every list, role and `o` key, at a clock frozen just after the newest row."""
    import time_machine

    from referee.assignments.models import AssignmentBatch
    from referee.core.models import AuditEvent

    frozen = max(AssignmentBatch.objects.latest("created").created, AuditEvent.objects.latest("created").created)
    with time_machine.travel(frozen, tick=False):
        for role, client in clients().items():
            for name, path in paths.items():
                if role not in roles_of(name, ROLES):
                    continue
                keys = ordering_keys(client, path)
                for o in ["", *keys, *(f"-{key}" for key in keys)]:
                    for page in (1, 2):
                        params = {"page_size": PAGE_SIZE, "page": page, **({"o": o} if o else {})}
                        response = client.get(path, params)
                        headers = "".join(f"{k}: {v}\n" for k, v in sorted(response.headers.items()))
                        folder = name.replace(CALL_SCOPED, "call-").replace("/", "-")
                        target = directory / role / folder / f"{o or 'default'}-{page}"
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_bytes(f"{response.status_code}\n{headers}\n".encode() + response.content)


def ordering_keys(client: Client, path: str) -> list[str]:
    """The `o` keys a list accepts, read from its 400 answer to an unknown key."""
    response = client.get(path, {"o": "no-such-key"})
    if response.status_code != 400:
        return []
    message = response.json()["o"][0]
    return [key.strip() for key in message.split("Allowed: ")[1].rstrip(".").split(",")]


# --- over HTTP ----------------------------------------------------------------------------------------

def serve(port: int):
    """`referee serve` on this database without periodic jobs; returns the process once it answers."""
    env = {**os.environ, "REFEREE_EMBEDDED_SCHEDULER": "0", "REFEREE_EMBEDDED_WORKER": "0"}
    command = [str(Path(sys.executable).with_name("referee")), "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/").status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"referee serve did not answer on port {port} within 60 s")


class Connection:
    """One kept-alive HTTP/1.1 connection to the server, sending GETs with fixed headers."""

    def __init__(self, port: int, headers: dict):
        self.http, self.headers = http.client.HTTPConnection("127.0.0.1", port, timeout=120), headers

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.http.close()

    def timed_get(self, path: str, params: dict) -> float:
        """Wall time (ms) of one GET, its body read whole; exits on any status but 200."""
        target = f"{path}?{urlencode(params)}" if params else path
        start = time.perf_counter()
        self.http.request("GET", target, headers=self.headers)
        response = self.http.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - start) * 1000
        if response.status != 200:
            raise SystemExit(f"{path}: {response.status} {body[:200]!r}")
        return elapsed


def sequential(port: int, headers: dict, path: str, params: dict, runs: int) -> float:
    with Connection(port, headers) as connection:
        connection.timed_get(path, params)  # warm-up: connection, worker caches
        return statistics.median(connection.timed_get(path, params) for _ in range(runs))


def concurrent(port: int, headers: dict, path: str, params: dict, clients_: int, requests: int) -> tuple[float, float]:
    """p50 and p95 (ms) of clients_ × requests requests sent by clients_ threads at once."""
    samples, barrier = [], threading.Barrier(clients_)

    def run():
        with Connection(port, headers) as connection:
            connection.timed_get(path, params)  # opens the connection before the barrier
            barrier.wait()
            samples.extend(connection.timed_get(path, params) for _ in range(requests))

    threads = [threading.Thread(target=run) for _ in range(clients_)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    quantiles = statistics.quantiles(samples, n=100, method="inclusive")
    return quantiles[49], quantiles[94]


def measure(args, paths: dict[str, str]) -> list[dict]:
    tokens, local = api_volume.tokens(), clients()
    port, params = args.port, {"page_size": PAGE_SIZE}
    rows = []
    server = serve(args.port)
    try:
        health = sequential(port, {}, "/health/", {}, args.runs)
        p50, p95 = concurrent(port, {}, "/health/", {}, args.clients, args.requests)
        rows.append({"name": "/health/", "role": "—", "count": "", "queries": 1, "single": health, "p50": p50,
                     "p95": p95, "health": health})
        for name, path in paths.items():
            for role in roles_of(name, args.roles):
                queries, count = count_queries(local[role], path)
                headers = {"Authorization": f"Token {tokens[role]}"}
                if args.warm:  # a server that has served this list before: see the module's docstring
                    concurrent(port, headers, path, params, args.clients, args.warm)
                single = sequential(port, headers, path, params, args.runs)
                p50, p95 = concurrent(port, headers, path, params, args.clients, args.requests)
                rows.append({"name": name, "role": role, "count": count, "queries": queries, "single": single,
                             "p50": p50, "p95": p95, "health": health})
                print(f"{name} {role}: {single:.1f} ms, p95 {p95:.1f} ms", file=sys.stderr)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rows


def report(args, rows: list[dict]) -> None:
    print(f"page_size={PAGE_SIZE}; single = median of {args.runs} sequential requests; p50/p95 over "
          f"{args.clients} clients × {args.requests} requests; × = single ÷ /health/ single.\n")
    print("| list | role | X-Result-Count | SQL | single (ms) | × health | p50 (ms) | p95 (ms) | targets |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        ok = row["single"] <= TARGET_SINGLE_MS and row["p95"] <= TARGET_P95_MS
        print(f"| {row['name']} | {row['role']} | {row['count']} | {row['queries']} | {row['single']:.1f} "
              f"| {row['single'] / row['health']:.1f} | {row['p50']:.1f} | {row['p95']:.1f} | {'yes' if ok else 'NO'} |")
    print(f"\nTargets: single ≤ {TARGET_SINGLE_MS} ms, p95 ≤ {TARGET_P95_MS} ms.")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=10, help="requests per client")
    parser.add_argument("--warm", type=int, default=20, metavar="REQUESTS",
                        help="requests per client sent before timing each list (0: time a cold server)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", help="comma-separated list names (default: all)")
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--reload", action="store_true", help="empty the database and load the volume again")
    parser.add_argument("--dump", type=Path, help="write the responses to this directory instead of timing")
    parser.add_argument("--in-process", type=int, metavar="RUNS", help="time RUNS requests per list in this process")
    parser.add_argument("--json", type=Path, help="with --in-process: also write the rows to this file")
    parser.add_argument("--statements", type=int, metavar="RUNS",
                        help="time each statement of one request RUNS times as the server runs it")
    args = parser.parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the settings log every request at INFO
    args.roles = args.roles.split(",")
    prepare(args.seed, args.reload)
    paths = endpoints()
    if args.only:
        paths = {name: path for name, path in paths.items() if name in args.only.split(",")}
    if args.dump:
        dump(args.dump, paths)
        return
    if args.statements or args.in_process:
        import referee.wsgi  # noqa: F401 - loads as a server's worker does, and freezes the GC as it does
    if args.statements:
        statement_times(paths, args.roles, args.statements)
        return
    if args.in_process:
        print("| list | role | X-Result-Count | SQL | in-process median (ms) | Python CPU (ms) | PostgreSQL CPU (ms) |"
              "\n|---|---|---:|---:|---:|---:|---:|")
        rows = in_process(paths, args.roles, args.in_process)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))
        return
    report(args, measure(args, paths))


if __name__ == "__main__":
    main()
