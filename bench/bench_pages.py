"""Reviewer pages benchmark (issue 12, item 4): the median server time of My assignments for a
reviewer with 20 sent batches of 10 items each, beside `/health/` in the same process.

    DATABASE_URL=postgres://…/referee python -m bench.bench_pages [--runs 51] [--others 500]

Builds a throwaway test database (`test_<name>`, dropped at the end), one call with the reviewer's
20 × 10 and `--others` other reviewers with a sent batch of 10 items each (the rows the reviewer
must not see, for a realistic visibility query), then times `--runs` requests of each page through
Django's test client in this process (after two warm-up requests): middleware, session, view,
SQL and template, without a network or a WSGI server. Prints a markdown table."""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referee.settings")

import django

django.setup()

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

TARGET_MS = 50
BATCHES, ITEMS = 20, 10


def build(others: int):
    """The reviewer (returned) and everyone else's batches, through the tests' factories."""
    from referee.assignments.models import AssignmentItem
    from tests import factories as f

    call = f.call(managers=[f.user("bench-manager")])
    call.coi_config.invitation_proposal_disclosure = "titles_and_summaries"
    call.coi_config.save()
    round_ = f.round_(call)
    proposals = [f.proposal(round_, project_summary="A summary of a few lines. " * 8) for _ in range(BATCHES * ITEMS)]
    reviewer = f.user("bench-reviewer")
    entry = f.pool_entry(call, f.profile(reviewer))
    for n in range(BATCHES):
        batch = f.batch(entry, status="sent", manager_notes="Notes for this batch.")
        for proposal in proposals[n * ITEMS:(n + 1) * ITEMS]:
            f.item(batch, proposal, affinity_score=0.5)
    for n in range(others):
        other = f.pool_entry(call, f.profile(f.user(f"bench-other-{n}")))
        batch = f.batch(other, status="sent")
        AssignmentItem.objects.bulk_create(
            AssignmentItem(batch=batch, pool_entry=other, proposal=proposal, status="pending")
            for proposal in proposals[(n % BATCHES) * ITEMS:(n % BATCHES + 1) * ITEMS])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return reviewer


def measure(client: Client, path: str, runs: int) -> tuple[float, float, int]:
    """(median wall milliseconds, median CPU milliseconds of this process, SQL statements) of
    `runs` GETs of `path`. CPU time leaves out PostgreSQL's share and the waits of a busy machine."""
    for _ in range(2):
        assert client.get(path).status_code == 200, path
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    statements = len(queries)  # now: the next request's start empties the log it reads
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200, path
    return statistics.median(wall), statistics.median(cpu), statements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=51)
    parser.add_argument("--others", type=int, default=500)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("bench_pages needs DATABASE_URL pointing at PostgreSQL")
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    # Not `setup_test_environment()`: its instrumented template rendering copies every context.
    try:
        client = Client(HTTP_HOST="localhost")
        client.force_login(build(args.others))
        health = measure(client, "/health/", args.runs)
        page = measure(client, "/reviews/assignments/", args.runs)
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
    rows = {"`/health/`": health, f"My assignments ({BATCHES} × {ITEMS}, {args.others} other batches)": page}
    print("| page | median ms | median CPU ms | SQL | × /health/ |\n|---|---|---|---|---|")
    for name, (wall, cpu, queries) in rows.items():
        print(f"| {name} | {wall:.1f} | {cpu:.1f} | {queries} | {wall / health[0]:.0f} |")
    print(f"\nTarget: My assignments < {TARGET_MS} ms median: {'met' if page[0] < TARGET_MS else 'MISSED'} "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs).")

if __name__ == "__main__":
    main()
