"""The console's Matching tab on a call of 3,000 proposals × 1,500 reviewers (issue 13).

    createdb -h 127.0.0.1 -U postgres referee_bench_matching
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/referee_bench_matching python -m bench.bench_matching_tab

Migrates the database DATABASE_URL names, fills it once (one call, 3,000 proposals, 1,500
accepted reviewers in 10 topics, every pair's score written by the cache's own COPY, 2,000
conflicts) and prints the time a worker takes to arrange the scores for the heatmap
(`queries.arrange_affinities`: read every score, cluster, aggregate), then the median of 5 views
of the tab with the heatmap and the SQL statements of one.
"""

import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referee.settings")

import django

django.setup()

import numpy as np
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.bench_matrix import call_with_proposals, filled_call
from referee.assignments import affinities, queries
from referee.assignments.affinities import AffinityMatrix
from referee.calls.models import MatchingConfiguration, Proposal
from referee.conflicts.models import ConflictOfInterest
from referee.core.models import User
from referee.reviewers.models import CallReviewerPool, ReviewerProfile

PROPOSALS, REVIEWERS, TOPICS, CONFLICTS = 3000, 1500, 10, 2000
MANAGER = "bench-matching-manager"


@transaction.atomic
def fill() -> None:
    call = call_with_proposals(MANAGER, PROPOSALS)
    users = User.objects.bulk_create([User(username=f"bench-matching-{i}", first_name="Reviewer", last_name=str(i))
                                      for i in range(REVIEWERS)])
    profiles = ReviewerProfile.objects.bulk_create([ReviewerProfile(user=user) for user in users])
    CallReviewerPool.objects.bulk_create([
        CallReviewerPool(call=call, reviewer=profile, invitation_status="accepted", invited_at=timezone.now())
        for profile in profiles])
    entries = list(CallReviewerPool.objects.filter(call=call).order_by("id"))
    proposal_ids = list(Proposal.objects.filter(call=call).order_by("id").values_list("id", flat=True))
    rng = np.random.default_rng(0)
    topic_of_proposal, topic_of_reviewer = rng.integers(TOPICS, size=PROPOSALS), rng.integers(TOPICS, size=REVIEWERS)
    scores = rng.uniform(0, 0.3, (PROPOSALS, REVIEWERS)) + 0.6 * (topic_of_proposal[:, None] == topic_of_reviewer)
    none = np.zeros_like(scores)  # no keyword part, no best publication
    matrix = AffinityMatrix(proposal_ids, entries, scores, none, scores, none.astype(np.int64), none)
    affinities._store(call, matrix, MatchingConfiguration.objects.get(call=call), timezone.now())
    ConflictOfInterest.objects.bulk_create([
        ConflictOfInterest(call=call, reviewer_id=entries[i % REVIEWERS].reviewer_id,
                           proposal_id=proposal_ids[(i * 7) % PROPOSALS], coi_type="INST_SAME", severity="apparent",
                           rule="management_allowed")
        for i in range(CONFLICTS)])


def main() -> None:
    call = filled_call(MANAGER, fill)
    call_command("createcachetable", verbosity=0)
    cache.clear()
    start = time.perf_counter()
    queries.arrange_affinities(call)  # what the worker runs once per computation
    arranged = time.perf_counter() - start
    client = Client()
    client.force_login(call.managers.get())
    url = f"/call/{call.uuid}/manage/?tab=matching"
    assert b'id="affinity-heatmap"' in client.get(url).content
    times = []
    for _ in range(5):
        with CaptureQueriesContext(connection) as statements:
            start = time.perf_counter()
            assert client.get(url).status_code == 200
            times.append(time.perf_counter() - start)
    print("| Matching tab, 3,000 × 1,500 | ms |\n|---|---:|")
    print(f"| arranging the scores for the heatmap (a worker, once per computation) | {arranged * 1000:.0f} |")
    print(f"| a view of the tab, median of 5 | {statistics.median(times) * 1000:.0f} |")
    print(f"| SQL statements of one view | {len(statements)} |")


if __name__ == "__main__":
    main()
