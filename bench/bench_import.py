"""Import benchmark: `referee import` of a call the size of the real one of issue 10 (463 proposals
with their authors as users and team, 58 reviewers with 1–60 publications each, abstracts and
co-authors), as a dry run and for real, first into an empty database and then again.

    python -m bench.bench_import [--proposals 463] [--reviewers 58] [--seed 0] [--runs 3]

Uses DATABASE_URL, else a fresh embedded SQLite database in a temporary folder; the call, users
and reviewers it writes carry a `bench-import` prefix. Prints the median seconds of each step and
the SQL statements it issued."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

if not os.environ.get("DATABASE_URL"):
    os.environ.setdefault("REFEREE_VAR_DIR", tempfile.mkdtemp(prefix="bench-import-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referee.settings")

import django

django.setup()

from django.core.management import call_command
from django.db import connection

from referee.imports import import_data

WORDS = ("segmentation registration transformer uncertainty lesion tumour cardiac retina brain mri ct "
         "ultrasound histopathology federated self-supervised contrastive diffusion generative domain shift "
         "calibration graph attention reconstruction denoising anomaly detection weakly labelled").split()
FIRST = "Ana Ben Chen Dana Eli Fei Gil Hana Ivo Jun Kai Lea Min Nia Oto Pia Qin Rui Sam Tao".split()
LAST = "Yang Zhang Li Wang Smith Müller Rossi Kim Sato Novak Silva Ivanova Dubois Jensen Kowalski".split()


def text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def dataset(proposals: int, reviewers: int, seed: int = 0) -> dict:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    authors = [f"bench-import-a{i}" for i in range(proposals * 3)]
    users = [{"username": name, "email": f"{name}@example.org", "first_name": rng.choice(FIRST),
              "last_name": rng.choice(LAST)} for name in authors]
    users += [{"username": f"bench-import-r{k}", "email": f"bench-import-r{k}@example.org",
               "first_name": rng.choice(FIRST), "last_name": f"{rng.choice(LAST)}-{k}"} for k in range(reviewers)]
    users.append({"username": "bench-import-manager", "first_name": "Mira", "last_name": "Manager"})

    def publication(k: int, i: int) -> dict:
        paper = {"title": f"{text(rng, 8)} ({k}.{i})", "publication_year": rng.randint(2012, now.year),
                 "abstract": text(rng, 150), "coauthors": [f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                                                           for _ in range(rng.randint(2, 8))]}
        if rng.random() < 0.6:
            paper["doi"] = f"10.5555/bench.{k}.{i}"
        return paper

    return {
        "version": 1,
        "users": users,
        "call": {"slug": "bench-import-call", "name": "Import benchmark call", "state": "active",
                 "managers": ["bench-import-manager"]},
        "rounds": [{"slug": "main", "name": "Main round", "start_time": (now - timedelta(days=30)).isoformat(),
                    "cutoff_time": (now + timedelta(days=60)).isoformat()}],
        "proposals": [{"slug": f"bench-import-p{j}", "round": "main", "name": text(rng, 9),
                       "project_summary": text(rng, 180), "state": "submitted", "creator": authors[3 * j],
                       "team": authors[3 * j:3 * j + rng.randint(1, 3)]} for j in range(proposals)],
        "reviewers": [{"user": f"bench-import-r{k}", "is_published": True, "biography": text(rng, 40),
                       "publications": [publication(k, i) for i in range(rng.randint(1, 60))]}
                      for k in range(reviewers)],
        "pool": [{"reviewer": f"bench-import-r{k}", "invitation_status": "accepted", "max_assignments": 30}
                 for k in range(reviewers)],
    }


def measure(step, runs: int) -> tuple[float, int]:
    seconds, statements = [], []

    def count(execute, sql, params, many, context):
        statements[-1] += 1
        return execute(sql, params, many, context)

    for _ in range(runs):
        statements.append(0)
        with connection.execute_wrapper(count):
            started = time.perf_counter()
            step()
            seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), statements[-1]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--proposals", type=int, default=463)
    parser.add_argument("--reviewers", type=int, default=58)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    call_command("migrate", verbosity=0)
    data = dataset(args.proposals, args.reviewers, args.seed)
    papers = sum(len(r["publications"]) for r in data["reviewers"])
    print(f"{args.proposals} proposals, {len(data['users'])} users, {args.reviewers} reviewers, {papers} publications"
          f" on {connection.vendor}\n")
    rows = [("dry run, empty database", measure(lambda: import_data(data, dry_run=True), args.runs)),
            ("import, empty database", measure(lambda: import_data(data), 1)),
            ("dry run, all present", measure(lambda: import_data(data, dry_run=True), args.runs)),
            ("re-import, all present", measure(lambda: import_data(data), args.runs))]
    print("| step | median s | SQL statements |\n|---|---:|---:|")
    for label, (seconds, queries) in rows:
        print(f"| {label} | {seconds:.2f} | {queries:,} |")


if __name__ == "__main__":
    main()
