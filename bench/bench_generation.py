"""End-to-end generation benchmark: `generate_assignments` on a call stored in PostgreSQL.

    DATABASE_URL=postgres://… python -m bench.bench_generation [--proposals 1000] [--reviewers 500]
        [--publications 20] [--runs 3] [--seed 0] [--threshold 0.1] [--keep]

Creates its own database (Django's test-database machinery: referee_bench_generation, migrated,
dropped at the end unless `--keep`), fills one call from a seeded generator — proposal and
publication texts from bench.bench_affinity's topic/Zipf vocabulary (40 topics), 3–10 keywords per
reviewer, teams of the applicant and 0–3 reviewers, ~2 % of pairs with a COI (about half of them
blocking) and ~1 % of pairs bid on (a tenth of the bids `conflict`) — then times fresh generations: every run starts from no batches, items, preview rows
and (for "cold") no affinity cache, so it computes affinities, writes the cache, builds the problem,
solves and writes batches, items and preview rows; "stale" runs find a cache older than an edited
proposal and replace all its rows in the same transaction; "warm" runs reuse a fresh cache. Prints
markdown tables: median, min and max of the runs with the SQL statements of the median run, then
where that run's time went.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import timedelta

import numpy as np

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referee.settings")

import django

django.setup()

from django.db import connection
from django.utils import timezone

from bench.bench_affinity import LEVELS, TextGenerator
from referee.assignments import affinities, affinity_rows, generation
from referee.assignments.models import AffinityScore, AssignmentBatch, ProposedAssignment
from referee.calls.domain import create_call
from referee.calls.models import MatchingConfiguration, Proposal, Round
from referee.conflicts.models import ConflictOfInterest
from referee.core.models import AuditEvent, User
from referee.reviewers.models import (
    CallReviewerPool,
    ReviewerBid,
    ReviewerExpertise,
    ReviewerProfile,
    ReviewerPublication,
)

DATABASE_NAME = "referee_bench_generation"
TARGET_SECONDS = 10.0
# Research topics of the call: ~12 reviewers and ~25 proposals each at the default size, so most
# proposals find enough close reviewers and some compete for them (bench_affinity uses 120).
TOPICS = 40


# --- the call -----------------------------------------------------------------------------------

def build_call(n_proposals: int, n_reviewers: int, n_publications: int, seed: int, threshold: float):
    """One active call with its round, proposals, accepted pool, COIs and bids; returns
    (call, manager, number of pool entries)."""
    rng = np.random.default_rng(seed)
    gen = TextGenerator(rng, topics=TOPICS)
    n_topics = len(gen.topics)
    manager = User.objects.create(username="bench-manager", first_name="Bench", last_name="Manager")
    call = create_call(managers=[manager], name="Benchmark call", slug="benchmark-call", state="active")
    MatchingConfiguration.objects.filter(call=call).update(min_affinity_threshold=threshold)
    now = timezone.now()
    round_ = Round.objects.create(call=call, name="Round 1", start_time=now - timedelta(days=10),
                                  cutoff_time=now + timedelta(days=20))

    users = User.objects.bulk_create([
        User(username=f"reviewer{i}", first_name=f"Given{i}", last_name=f"Surname{i}", email=f"r{i}@example.org")
        for i in range(n_reviewers)
    ] + [User(username=f"applicant{i}", first_name="App", last_name=f"Licant{i}") for i in range(n_proposals)])
    reviewers, applicants = users[:n_reviewers], users[n_reviewers:]
    topics_r = rng.integers(n_topics, size=n_reviewers)
    profiles = ReviewerProfile.objects.bulk_create([
        ReviewerProfile(user=u, biography=gen.text(int(t), int(rng.integers(40, 200))))
        for u, t in zip(reviewers, topics_r, strict=True)
    ])
    expertise, publications = [], []
    for profile, topic in zip(profiles, topics_r, strict=True):
        words = {gen.keyword(int(topic)) for _ in range(int(rng.integers(3, 11)))}
        expertise += [ReviewerExpertise(profile=profile, expertise_keyword=w, proficiency_level=LEVELS[k % 3])
                      for k, w in enumerate(sorted(words))]
        publications += [
            ReviewerPublication(profile=profile, title=gen.text(int(topic), 10), publication_year=2015 + k % 10,
                                abstract=gen.text(int(topic) if rng.random() < 0.7 else int(rng.integers(n_topics)),
                                                  int(rng.integers(80, 250))))
            for k in range(n_publications)
        ]
    ReviewerExpertise.objects.bulk_create(expertise, batch_size=5000)
    ReviewerPublication.objects.bulk_create(publications, batch_size=5000)
    entries = CallReviewerPool.objects.bulk_create([
        CallReviewerPool(call=call, reviewer=p, invited_at=now, invitation_status="accepted", max_assignments=10)
        for p in profiles
    ])

    proposals = Proposal.objects.bulk_create([
        Proposal(round=round_, call=call, name=gen.text(int(t), 8), slug=f"proposal-{i}", state="submitted",
                 project_summary=gen.text(int(t), 60), description=gen.text(int(t), int(rng.integers(250, 600))),
                 created_by=applicants[i])
        for i, t in enumerate(rng.integers(n_topics, size=n_proposals))
    ])
    team = Proposal.team.through
    members = [team(proposal_id=p.id, user_id=applicants[i].id) for i, p in enumerate(proposals)]
    for p in proposals:  # 0–3 reviewers on each team: pairs the team rule must exclude
        members += [team(proposal_id=p.id, user_id=reviewers[j].id)
                    for j in set(rng.integers(n_reviewers, size=int(rng.integers(0, 4))).tolist())]
    team.objects.bulk_create(members, batch_size=5000)

    n_pairs = n_proposals * n_reviewers
    conflicted = rng.choice(n_pairs, size=n_pairs // 50, replace=False)
    statuses = rng.choice(["pending", "pending", "dismissed", "waived", "recused"], size=len(conflicted))
    severities = rng.choice(["real", "apparent", "potential"], size=len(conflicted))
    rule = {"real": "recusal_required", "apparent": "management_allowed", "potential": "disclosure_only"}
    ConflictOfInterest.objects.bulk_create([
        ConflictOfInterest(reviewer=profiles[k % n_reviewers], proposal=proposals[k // n_reviewers], call=call,
                           coi_type="COAUTH_RECENT", severity=sev, status=st, rule=rule[sev])
        for k, st, sev in zip(conflicted.tolist(), statuses, severities, strict=True)
    ], batch_size=5000)
    bid_pairs = rng.choice(n_pairs, size=n_pairs // 100, replace=False)
    bids = rng.choice(["eager", "willing", "not_willing", "conflict"], size=len(bid_pairs), p=[0.4, 0.3, 0.2, 0.1])
    ReviewerBid.objects.bulk_create([
        ReviewerBid(reviewer=profiles[k % n_reviewers], proposal=proposals[k // n_reviewers], call=call, bid=b)
        for k, b in zip(bid_pairs.tolist(), bids, strict=True)
    ], batch_size=5000)
    vacuum()
    return call, manager, len(entries)


CASES = {
    "cold": "cold (no cache: affinities computed and stored)",
    "stale": "stale (a proposal edited: cache recomputed and replaced)",
    "warm": "warm (affinity cache reused)",
}


def reset(call, *, case: str) -> None:
    """Back to a call nothing was generated for, with no cache (cold), a cache older than one
    proposal (stale) or a fresh cache (warm)."""
    AssignmentBatch.objects.filter(call=call).delete()  # items cascade
    ProposedAssignment.objects.filter(call=call).delete()
    AuditEvent.objects.filter(call=call).delete()
    if case == "cold":
        AffinityScore.objects.filter(call=call).delete()
    elif not AffinityScore.objects.filter(call=call).exists():
        affinities.compute_affinities(call)
    if case == "stale":
        Proposal.objects.filter(pk=Proposal.objects.filter(call=call).order_by("id").values("id")[:1]).update(
            modified=timezone.now())
    vacuum()


def vacuum() -> None:
    """What autovacuum does between requests in production (it may be off on a test server):
    without it every run would pay for the dead rows and stale statistics of the previous one."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


# --- measuring ----------------------------------------------------------------------------------

@contextmanager
def counting_queries():
    """Count statements without keeping their SQL text, as CaptureQueriesContext would."""
    counter = {"n": 0}

    def count(execute, sql, params, many, context):
        counter["n"] += 1
        return execute(sql, params, many, context)

    copy = affinity_rows.copy_in  # a COPY goes straight to psycopg, past Django's hooks

    def counted_copy(*args, **kwargs):
        counter["n"] += 1
        return copy(*args, **kwargs)

    affinity_rows.copy_in = counted_copy
    try:
        with connection.execute_wrapper(count):
            yield counter
    finally:
        affinity_rows.copy_in = copy


@contextmanager
def phase_timer():
    """Time the steps of one generation by wrapping the module functions it calls."""
    spent = defaultdict(float)
    targets = [
        (affinities, "_changed_since_cached", "affinity cache check"),
        (affinities, "_compute", "affinities computed (matching library)"),
        (affinities, "_store", "affinity cache written"),
        (affinities, "_read_cache", "affinity cache read"),
        (generation, "build_candidates", "eligibility, demands, capacities"),
        (generation, "solve", "solve"),
        (generation, "_replace_proposed", "preview rows written"),
        (generation, "_deploy", "batches, items and audit written"),
    ]
    originals = []
    for module, name, label in targets:
        original = getattr(module, name)
        originals.append((module, name, original))

        def timed(*args, _original=original, _label=label, **kwargs):
            start = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_label] += time.perf_counter() - start

        setattr(module, name, timed)
    try:
        yield spent
    finally:
        for module, name, original in originals:
            setattr(module, name, original)


def run_once(call, manager, *, case: str):
    reset(call, case=case)
    solve, seen = generation.solve, {}

    def solve_and_note(problem, algorithm):
        seen["pairs"] = problem.n_pairs
        return solve(problem, algorithm)

    generation.solve = solve_and_note
    try:
        with counting_queries() as counter, phase_timer() as spent:
            start = time.perf_counter()
            result = generation.generate_assignments(call, user=manager)  # its own transaction, commit included
            seconds = time.perf_counter() - start
    finally:
        generation.solve = solve
    spent["commit and the rest (locks, small queries, deferred FK checks)"] = seconds - sum(spent.values())
    return {"seconds": seconds, "queries": counter["n"], "result": result, "phases": dict(spent),
            "pairs": seen.get("pairs", 0)}


def measure(n_proposals=1000, n_reviewers=500, n_publications=20, runs=3, seed=0, threshold=0.1):
    start = time.perf_counter()
    call, manager, n_entries = build_call(n_proposals, n_reviewers, n_publications, seed, threshold)
    built = time.perf_counter() - start
    cases = []
    for case in CASES:
        timings = sorted((run_once(call, manager, case=case) for _ in range(runs)), key=lambda run: run["seconds"])
        seconds = [run["seconds"] for run in timings]
        cases.append({"case": CASES[case],
                      "median": statistics.median(seconds), "min": seconds[0], "max": seconds[-1],
                      "median_run": timings[len(timings) // 2]})
    return {"built": built, "entries": n_entries, "cases": cases}


# --- report -------------------------------------------------------------------------------------

@contextmanager
def bench_database(keep: bool, name: str = DATABASE_NAME):
    """A fresh migrated database, named so it never collides with the test runs' databases (nor,
    through `name`, with another benchmark's running at the same time)."""
    if connection.vendor != "postgresql":
        raise SystemExit("bench_generation needs DATABASE_URL pointing at PostgreSQL")
    connection.settings_dict.setdefault("TEST", {})["NAME"] = name
    original = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield
    finally:
        if not keep:
            connection.creation.destroy_test_db(original, verbosity=0)


def report(args, measured) -> None:
    print(f"Generation: {args.proposals} proposals × {args.reviewers} reviewers "
          f"({args.publications} publications each), seed {args.seed}, threshold {args.threshold}; "
          f"call built in {measured['built']:.1f} s\n")
    print("| case | median (s) | min (s) | max (s) | SQL statements | candidate pairs | items | batches | skipped "
          "| total affinity |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for case in measured["cases"]:
        run, r = case["median_run"], case["median_run"]["result"]
        print(f"| {case['case']} | {case['median']:.2f} | {case['min']:.2f} | {case['max']:.2f} | {run['queries']} "
              f"| {run['pairs']:,} | {r.items_created} | {r.batches_created} | {len(r.skipped_proposals)} | {r.total_affinity:.1f} |")
    slowest = max(case["median"] for case in measured["cases"])
    verdict = "within" if slowest <= TARGET_SECONDS else "OVER"
    print(f"\nTarget ≤ {TARGET_SECONDS:.0f} s for a generation that computes affinities: {verdict}.\n")
    phases = [case["median_run"]["phases"] for case in measured["cases"]]
    print("| step (median run) | " + " | ".join(f"{name} (s)" for name in CASES) + " |")
    print("|---|" + "---:|" * len(CASES))
    for label in dict.fromkeys(label for spent in phases for label in spent):
        print(f"| {label} | " + " | ".join(f"{spent.get(label, 0):.2f}" for spent in phases) + " |")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=1000)
    parser.add_argument("--reviewers", type=int, default=500)
    parser.add_argument("--publications", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threshold", type=float, default=0.1,
                        help="min_affinity_threshold (default: the contract's 0.1; 0 makes every pair a candidate)")
    parser.add_argument("--keep", action="store_true", help=f"keep the {DATABASE_NAME} database")
    args = parser.parse_args(argv)
    with bench_database(args.keep):
        measured = measure(args.proposals, args.reviewers, args.publications, args.runs, args.seed, args.threshold)
    report(args, measured)


if __name__ == "__main__":
    main()
