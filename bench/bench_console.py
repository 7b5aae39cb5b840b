"""Console benchmark (issue 13, item 6): the median server time of every console page for one call
of 3,000 proposals × 1,500 reviewers on PostgreSQL, beside `/health/` in the same process.

    DATABASE_URL=postgres://…/referee python -m bench.bench_console [--proposals 3000] [--reviewers 1500]
        [--publications 3] [--runs 21] [--keep] [--reuse]

Builds bench.bench_generation's throwaway database (dropped at the end unless `--keep`) holding
bench.bench_generation's call (texts, keywords, teams, ~2 % conflicts, ~1 % bids), computes its
affinity cache, deploys one generation and sends its batches (so every tab has rows), keeps a fresh
preview beside it (`--reuse`: the call a `--keep` run left, not built again), then times `--runs` GETs of the calls list and of each installed tab through
Django's test client (middleware, session, view, SQL, templates; no network). Prints a markdown
table with the SQL statements of each page."""

from __future__ import annotations

import argparse
import os
import time
from contextlib import contextmanager

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referee.settings")

import django

django.setup()

from django.db import connection
from django.test import Client
from django.urls import get_resolver

from bench.bench_generation import bench_database, build_call, vacuum
from bench.bench_pages import measure
from referee.assignments import affinities, generation
from referee.assignments.domain import send_all_batches
from referee.calls.models import Call
from referee.web.console import tabs

TARGET_MS = 300
DATABASE_NAME = "referee_bench_console"  # its own: bench_generation's may be in use meanwhile


def prepare(args):
    """The call with a deployed and sent generation and a fresh preview; returns (call, manager)."""
    start = time.perf_counter()
    call, manager, _ = build_call(args.proposals, args.reviewers, args.publications, seed=0, threshold=0.1)
    affinities.compute_affinities(call)
    generation.generate_assignments(call, user=manager)
    send_all_batches(call, actor=manager)
    generation.generate_assignments(call, user=manager, dry_run=True)
    vacuum()
    print(f"Call built, scored, generated and sent in {time.perf_counter() - start:.0f} s\n")
    return call, manager


@contextmanager
def the_call(args):
    """(call, manager): built in a fresh database, or, with `--reuse`, the one a `--keep` run left."""
    if not args.reuse:
        with bench_database(args.keep, DATABASE_NAME):
            yield prepare(args)
        return
    connection.close()
    connection.settings_dict["NAME"] = DATABASE_NAME
    call = Call.objects.get(slug="benchmark-call")
    yield call, call.managers.get()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=3000)
    parser.add_argument("--reviewers", type=int, default=1500)
    parser.add_argument("--publications", type=int, default=3)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--keep", action="store_true", help=f"keep the {DATABASE_NAME} database")
    parser.add_argument("--reuse", action="store_true", help="time the pages of the call a --keep run left")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("bench_console needs DATABASE_URL pointing at PostgreSQL")
    with the_call(args) as (call, manager):
        client = Client(HTTP_HOST="localhost")
        client.force_login(manager)
        get_resolver().check()  # imports the URLconf: the tabs register themselves then
        pages = {"`/health/`": "/health/", "Manage calls (`/manage/`)": "/manage/"}
        pages |= {f"{tab.label} tab": f"/call/{call.uuid}/manage/?tab={tab.key}" for tab in tabs.in_order()}
        rows = {name: measure(client, path, args.runs) for name, path in pages.items()}
    health = rows["`/health/`"][0]
    print(f"Console pages, {args.proposals} proposals × {args.reviewers} reviewers, {args.runs} runs each\n")
    print("| page | median ms | median CPU ms | SQL | × /health/ |\n|---|---:|---:|---:|---:|")
    for name, (wall, cpu, queries) in rows.items():
        print(f"| {name} | {wall:.1f} | {cpu:.1f} | {queries} | {wall / health:.0f} |")
    slowest = max(wall for name, (wall, _, _) in rows.items() if name != "`/health/`")
    print(f"\nTarget: every console page < {TARGET_MS} ms median: {'met' if slowest < TARGET_MS else 'MISSED'} "
          f"(slowest {slowest:.0f} ms; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs).")


if __name__ == "__main__":
    main()
