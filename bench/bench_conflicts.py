"""Conflict-detection benchmark: a full detection job over a large synthetic call.

    python -m bench.bench_conflicts [--proposals 6000] [--reviewers 3000] [--seed 0]

A seeded population of researchers in communities (co-authors and proposal teams are mostly drawn
from one's own community, so co-authorship hits are frequent), written with varying spellings
("Given Surname", "G. Surname", "Surname, Given"), half of them with ORCIDs. Each reviewer has 3
affiliations (one current) and 20 publications of 2–8 co-authors; proposals have teams of 1–5.
Prints a markdown table; `measure()` returns its rows for bench/run.py.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import time
from collections import Counter
from datetime import date, timedelta

from referee.matching.conflicts import (
    Affiliation,
    Coauthor,
    DetectionConfig,
    Person,
    ProposalRecord,
    Publication,
    ReviewerRecord,
    detect_conflicts,
)

TODAY = date(2026, 3, 10)
COMMUNITY = 100  # researchers per community
SYLLABLES = "ba be bi bo da de di do ka ke ki ko la le li lo ma me mi mo na ne ni no ra ri ro sa vé zu".split()


class Population:
    def __init__(self, rng: random.Random, size: int, organisations: int):
        self.rng = rng
        word = lambda n: "".join(rng.choice(SYLLABLES) for _ in range(n)).capitalize()  # noqa: E731
        given = [word(2) for _ in range(400)]
        surnames = [word(rng.randint(2, 4)) for _ in range(6000)]
        orcid = lambda i: f"0000-0002-{i // 10000:04d}-{i % 10000:04d}" if rng.random() < 0.5 else None  # noqa: E731
        self.people = [(rng.choice(given), rng.choice(surnames), orcid(i)) for i in range(size)]
        self.organisations = [(i, f"University of {word(3)}") for i in range(1, organisations + 1)]

    def peer(self, i: int) -> int:
        """Someone from i's community most of the time, anyone otherwise."""
        if self.rng.random() < 0.8:
            return i - i % COMMUNITY + self.rng.randrange(COMMUNITY)
        return self.rng.randrange(len(self.people))

    def spelling(self, i: int) -> str:
        given, surname, _ = self.people[i]
        return self.rng.choice([f"{given} {surname}", f"{given[0]}. {surname}", f"{surname}, {given}"])

    def person(self, i: int) -> Person:
        given, surname, orcid = self.people[i]
        return Person(i, f"{given}.{surname}{i}@example.org", f"{given} {surname}", orcid)

    def organisation(self):
        org_id, name = self.rng.choice(self.organisations)
        # a third of affiliations were typed by hand: no organisation id, name in other case
        return (None, name.upper()) if self.rng.random() < 0.33 else (org_id, name)


def generate(n_proposals: int, n_reviewers: int, seed: int):
    rng = random.Random(seed)
    population = Population(rng, size=max(10 * n_reviewers, 1000), organisations=1000)
    reviewers = []
    for i in range(n_reviewers):
        given, surname, orcid = population.people[i]
        affiliations = [Affiliation(*population.organisation(), date(2015, 1, 1), None)] + [
            Affiliation(*population.organisation(), date(2010, 1, 1), TODAY - timedelta(days=rng.randint(30, 2000)))
            for _ in range(2)
        ]
        publications = [
            Publication(
                doi=f"10.5555/{i}.{k}" if rng.random() < 0.8 else "",
                title=f"Paper {k} of reviewer {i}",
                year=TODAY.year - rng.randint(0, 8),
                coauthors=[
                    Coauthor(population.spelling(j), population.people[j][2] if rng.random() < 0.3 else None)
                    for j in (population.peer(i) for _ in range(rng.randint(2, 8)))
                ],
            )
            for k in range(20)
        ]
        reviewers.append(ReviewerRecord(i, f"{given}.{surname}{i}@example.org", f"{given} {surname}", [], orcid,
                                        affiliations, publications))
    proposals = []
    for _ in range(n_proposals):
        lead = rng.randrange(len(population.people))
        team = [population.person(j) for j in {lead, *(population.peer(lead) for _ in range(rng.randint(0, 4)))}]
        org_id, org_name = rng.choice(population.organisations)
        proposals.append(ProposalRecord(lead, team, org_id, org_name))
    return reviewers, proposals


def measure(n_proposals=6000, n_reviewers=3000, seed=0, chunk_size=200) -> list[dict]:
    reviewers, proposals = generate(n_proposals, n_reviewers, seed)
    gc.collect()
    counts: Counter[str] = Counter()
    chunks = 0
    start = time.perf_counter()
    for findings in detect_conflicts(reviewers, proposals, DetectionConfig(), today=TODAY, chunk_size=chunk_size):
        chunks += 1
        counts.update(f.coi_type for f in findings)
    seconds = time.perf_counter() - start
    return [
        {"metric": "detection time (s)", "value": f"{seconds:.2f}"},
        {"metric": "chunks", "value": chunks},
        {"metric": "findings", "value": sum(counts.values())},
        *({"metric": f"  {coi_type}", "value": n} for coi_type, n in sorted(counts.items())),
        {"metric": "process max RSS (MiB)", "value": f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10}"},
    ]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=6000)
    parser.add_argument("--reviewers", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunk-size", type=int, default=200)
    args = parser.parse_args(argv)
    rows = measure(args.proposals, args.reviewers, args.seed, args.chunk_size)
    print(f"Conflict detection: {args.proposals} proposals × {args.reviewers} reviewers, seed {args.seed}\n")
    print("| metric | value |\n|---|---:|")
    for row in rows:
        print(f"| {row['metric']} | {row['value']} |")


if __name__ == "__main__":
    main()
