"""Console benchmark of the Pool tab and the CSV page (issue 13, item 6): median server time at
3,000 proposals × 1,500 reviewers, beside `/health/` in the same process.

    DATABASE_URL=postgres://…/referee python -m bench.bench_console_pool [--runs 21]

Builds a throwaway test database (`test_<name>`, dropped at the end): one call with 3,000 open
proposals, 1,500 reviewers in its pool (a fifth pending) with 3 items each in sent batches, a
published profile outside the pool per ten; then times GETs of the Pool tab (first page, a status
filter, a search), the CSV page, the assignments export (read whole), and POSTs of a 1,000-line
import preview, through Django's test client in this process (after two warm-up requests).
Prints a markdown table."""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referee.settings")

import django

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

TARGET_MS = 300
PROPOSALS, REVIEWERS, ITEMS_EACH, PREVIEW_LINES = 3000, 1500, 3, 1000


def build():
    """The manager (returned), the call and the file a preview reads, in bulk."""
    from referee.assignments.models import AssignmentBatch, AssignmentItem
    from referee.calls.models import Proposal
    from referee.core.models import User
    from referee.reviewers.models import CallReviewerPool, ReviewerProfile
    from tests import factories as f

    manager = f.user("bench-manager")
    call = f.call(managers=[manager])
    round_ = f.round_(call)
    Proposal.objects.bulk_create(Proposal(round=round_, call=call, name=f"Proposal {n}", slug=f"p-{n}",
                                          state="submitted") for n in range(PROPOSALS))
    proposals = list(Proposal.objects.filter(call=call).order_by("id"))
    outside = REVIEWERS // 10
    users = User.objects.bulk_create(User(username=f"r{n}", email=f"r{n}@example.org", first_name=f"Reviewer{n}",
                                          last_name="Bench") for n in range(REVIEWERS + outside))
    profiles = ReviewerProfile.objects.bulk_create(ReviewerProfile(user=u, is_published=True) for u in users)
    now = timezone.now()
    entries = CallReviewerPool.objects.bulk_create(
        CallReviewerPool(call=call, reviewer=p, invited_at=now, invitation_status="pending" if n % 5 == 0 else "accepted",
                         max_assignments=5, invitation_token=f"{n:064d}")
        for n, p in enumerate(profiles[:REVIEWERS]))
    accepted = [e for e in entries if e.invitation_status == "accepted"]
    batches = AssignmentBatch.objects.bulk_create(
        AssignmentBatch(call=call, reviewer_pool_entry=e, status="sent", sent_at=now, expires_at=now + timedelta(days=7))
        for e in accepted)
    AssignmentItem.objects.bulk_create(
        AssignmentItem(batch=b, pool_entry=b.reviewer_pool_entry, proposal=proposals[(n * ITEMS_EACH + k) % PROPOSALS],
                       status="pending", affinity_score=0.5)
        for n, b in enumerate(batches) for k in range(ITEMS_EACH))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    lines = "".join(f"{proposals[-1 - n].uuid},{accepted[n % len(accepted)].reviewer.user.email}\n"
                    for n in range(PREVIEW_LINES))
    return manager, call, ("proposal_uuid,reviewer_email\n" + lines).encode()


def measure(client: Client, request, runs: int) -> tuple[float, int]:
    """(median wall milliseconds, SQL statements) of `runs` calls of `request(client)`."""
    for _ in range(2):
        request(client)
    with CaptureQueriesContext(connection) as queries:
        request(client)
    statements = len(queries)
    wall = []
    for _ in range(runs):
        start = time.perf_counter()
        request(client)
        wall.append((time.perf_counter() - start) * 1000)
    return statistics.median(wall), statements


def get(path, params=None):
    def request(client):
        response = client.get(path, params or {})
        assert response.status_code == 200, path
        if response.streaming:
            b"".join(response.streaming_content)
    return request


def preview(path, content):
    def request(client):
        response = client.post(path, {"file": SimpleUploadedFile("a.csv", content)})
        assert response.status_code == 200, response.content[:500]
    return request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("bench_console_pool needs DATABASE_URL pointing at PostgreSQL")
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        client = Client(HTTP_HOST="localhost")
        manager, call, content = build()
        client.force_login(manager)
        tab, csv_page = f"/call/{call.uuid}/manage/", f"/call/{call.uuid}/manage/csv/"
        rows = {
            "`/health/`": measure(client, get("/health/"), args.runs),
            "Pool tab, first page of 1,500": measure(client, get(tab, {"tab": "pool"}), args.runs),
            "Pool tab, pending only, page 3": measure(
                client, get(tab, {"tab": "pool", "invitation_status": "pending", "page": 3}), args.runs),
            "Pool tab with a name search": measure(client, get(tab, {"tab": "pool", "user_name": "Reviewer15"}), args.runs),
            "CSV page": measure(client, get(csv_page), args.runs),
            f"Assignments export ({(REVIEWERS - REVIEWERS // 5) * ITEMS_EACH} items, read whole)": measure(
                client, get(csv_page + "assignments.csv"), args.runs),
            f"Import preview of {PREVIEW_LINES} lines": measure(client, preview(csv_page + "import/", content), args.runs),
        }
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
    print("| request | median ms | SQL |\n|---|---|---|")
    for label, (wall, queries) in rows.items():
        print(f"| {label} | {wall:.1f} | {queries} |")
    pages = [wall for label, (wall, _) in rows.items() if label.startswith(("Pool", "CSV page"))]
    print(f"\nTarget: console pages < {TARGET_MS} ms median: {'met' if max(pages) < TARGET_MS else 'MISSED'} "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs).")


if __name__ == "__main__":
    main()
