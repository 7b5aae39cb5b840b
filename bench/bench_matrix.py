"""`affinity-matrix` pages on a 1,000 × 500 affinity cache (issue 10), and pair explanations
(issue 13).

    createdb -h 127.0.0.1 -U postgres referee_bench_matrix
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/referee_bench_matrix python -m bench.bench_matrix

Migrates the database DATABASE_URL names, fills it once (one call, 1,000 proposals, 500 accepted
reviewers, every pair's score written by the cache's own COPY) and prints, per case, the median
of 5 requests through Django's test client (ms), the SQL statements of one and X-Result-Count.
"""

import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referee.settings")

import django

django.setup()

import numpy as np
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from referee.assignments import affinities
from referee.assignments.affinities import AffinityMatrix
from referee.assignments.explanations import explain_pairs
from referee.calls.models import Call, MatchingConfiguration, Proposal
from referee.core.accounts import token_for
from referee.reviewers.models import CallReviewerPool
from tests import factories as f

PROPOSALS, REVIEWERS = 1000, 500
MANAGER = "bench-matrix-manager"


def call_with_proposals(manager: str, n: int) -> Call:
    """A call that `manager` (a new user) manages, with one round of n submitted proposals."""
    call = f.call(managers=[f.user(manager)])
    round_ = f.round_(call)
    Proposal.objects.bulk_create([
        Proposal(round=round_, call=call, name=f"bench-{i}", slug=f"bench-{i}", state="submitted")
        for i in range(n)
    ])
    return call


@transaction.atomic
def fill() -> None:
    call = call_with_proposals(MANAGER, PROPOSALS)
    for i in range(REVIEWERS):
        f.pool_entry(call, f.profile(f.user(f"bench-matrix-{i}")))
    entries = list(CallReviewerPool.objects.filter(call=call).order_by("id"))
    scores = np.random.default_rng(0).random((PROPOSALS, REVIEWERS))
    proposal_ids = list(Proposal.objects.filter(call=call).order_by("id").values_list("id", flat=True))
    none = np.zeros_like(scores)  # no keyword score, no best publication
    matrix = AffinityMatrix(proposal_ids, entries, scores, none, scores, none.astype(np.int64), none)
    affinities._store(call, matrix, MatchingConfiguration.objects.get(call=call), timezone.now())


def filled_call(manager: str, fill) -> Call:
    """The call `manager` manages in the migrated database, made by `fill()` the first time."""
    call_command("migrate", verbosity=0)
    call = Call.objects.filter(managers__username=manager).first()
    if call is None:
        fill()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        call = Call.objects.get(managers__username=manager)
    return call


def main() -> None:
    call = filled_call(MANAGER, fill)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(call.managers.get())}")
    url = f"/api/proposal-protected-calls/{call.uuid.hex}/affinity-matrix/"
    proposal = Proposal.objects.filter(call=call).order_by("id")[PROPOSALS // 2]
    reviewer = CallReviewerPool.objects.filter(call=call).order_by("id")[REVIEWERS // 2].reviewer
    last = -(-PROPOSALS * REVIEWERS // 300)
    cases = {
        "page 1": {"page_size": 300},
        f"last page ({last:,})": {"page_size": 300, "page": last},
        f"one proposal ({REVIEWERS:,} rows)": {"page_size": 300, "proposal_uuid": proposal.uuid.hex},
        f"one reviewer ({PROPOSALS:,} rows)": {"page_size": 300, "reviewer_uuid": reviewer.uuid.hex},
    }
    print("| case (page_size 300) | median (ms) | SQL statements | X-Result-Count |\n|---|---:|---:|---:|")
    for name, params in cases.items():
        ms, statements, response = median_of_5(lambda params=params: client.get(url, params))
        assert response.status_code == 200, response.content
        print(f"| {name} | {ms:.0f} | {statements} | {response['X-Result-Count']} |")
    explain(client, call, proposal, reviewer)


def median_of_5(run):
    """(median milliseconds, SQL statements of the last run, its answer)."""
    times = []
    for _ in range(5):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            answer = run()
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, len(queries), answer


def explain(client, call, proposal, reviewer) -> None:
    """Issue 13: `explain_pairs` for a page of 300 scattered pairs, and `pair-explanation/`."""
    rng = np.random.default_rng(1)
    proposal_ids = list(Proposal.objects.filter(call=call).values_list("id", flat=True))
    profile_ids = list(CallReviewerPool.objects.filter(call=call).values_list("reviewer_id", flat=True))
    scattered = list(zip(rng.choice(proposal_ids, 300).tolist(), rng.choice(profile_ids, 300).tolist(), strict=True))
    # As a preview page lists them: 100 proposals with their 3 reviewers each.
    grouped = [(p, r) for p in rng.choice(proposal_ids, 100).tolist() for r in rng.choice(profile_ids, 3).tolist()]
    url = f"/api/proposal-protected-calls/{call.uuid.hex}/pair-explanation/"
    params = {"proposal_uuid": proposal.uuid.hex, "reviewer_uuid": reviewer.uuid.hex}
    cases = {"explain_pairs, 300 scattered pairs": lambda: explain_pairs(call, scattered),
             "explain_pairs, 100 proposals × 3 reviewers": lambda: explain_pairs(call, grouped),
             "GET pair-explanation/": lambda: client.get(url, params)}
    print("\n| case | median (ms) | SQL statements |\n|---|---:|---:|")
    for name, run in cases.items():
        ms, statements, _ = median_of_5(run)
        print(f"| {name} | {ms:.0f} | {statements} |")


if __name__ == "__main__":
    main()
