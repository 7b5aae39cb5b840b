"""The data volume of the API list benchmark (bench.bench_api), written with COPY.

10 calls (two managers each, three configurations, two rounds), 10,000 users, 6,000 reviewer
profiles with affiliations, keywords and publications (some with none), 2,000 pool entries and 2,000 proposals per call, 100,000 assignment batches with
200,000 items, a review for every accepted item, conflicts, bids, proposed assignments,
detection jobs and 300,000 audit events. Three users are the ones measured: `bench-staff`,
`bench-manager` (manager of two of the ten calls) and `bench-reviewer` (in every call's pool, with
its batches, items and reviews like any other reviewer). Seeded: the same seed gives the same rows,
but for their random uuids and invitation tokens.

Rows are built in Python and streamed with `COPY … FROM STDIN` under explicit ids (one COPY per
table instead of one INSERT per row: the whole volume loads in about 90 s, 35 s of it CPU). Creation
times are spread over two years, increasing with the id as in a real database."""

from __future__ import annotations

import json
import random
import uuid
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from referee.assignments.models import AssignmentBatch, AssignmentItem, ProposedAssignment
from referee.calls.domain import create_call
from referee.calls.models import Call, Proposal, Round
from referee.conflicts.models import COIDetectionJob, ConflictOfInterest
from referee.core.accounts import token_for
from referee.core.models import AuditEvent, Customer, User
from referee.reviewers.models import (
    CallReviewerPool,
    ReviewerAffiliation,
    ReviewerBid,
    ReviewerExpertise,
    ReviewerProfile,
    ReviewerPublication,
)
from referee.reviews.models import Review

CALLS = 10
MANAGED_BY_BENCH_MANAGER = 2
REVIEWERS = 6_000
APPLICANTS = 4_000
POOL_PER_CALL = 2_000
PROPOSALS_PER_CALL = 2_000
BATCHES = 100_000
ITEMS = 2 * BATCHES  # 1, 2 or 3 per batch
CONFLICTS = 30_000
BIDS = 40_000
PROPOSED = 20_000
EVENTS_PER_BATCH = 3
DAYS = 730
# A profile's nested rows, as real calls have them: some reviewers list no keyword, no
# affiliation or no publication; the others a few affiliations, up to 8 keywords and up to 20
# publications with abstracts of 60 to 220 words drawn from a vocabulary of 2,000.
WITHOUT = {"affiliations": 0.10, "expertise": 0.25, "publications": 0.30}
VOCABULARY = 2_000

BATCH_STATUSES = {"draft": 0.08, "sent": 0.12, "responded": 0.55, "expired": 0.15, "cancelled": 0.10}
ITEM_STATUSES = {  # by the batch's status
    "draft": {"pending": 1.0},
    "sent": {"pending": 0.7, "accepted": 0.2, "declined": 0.08, "coi_blocked": 0.02},
    "responded": {"accepted": 0.6, "declined": 0.3, "reassigned": 0.1},
    "expired": {"expired": 0.8, "accepted": 0.2},
    "cancelled": {"pending": 0.5, "declined": 0.5},
}


class Volume:
    """Builds and COPYs the rows; ids are assigned here so that foreign keys need no lookups."""

    def __init__(self, seed: int):
        self.seed, self.rng = seed, random.Random(seed)
        self.now = timezone.now()
        self.start = self.now - timedelta(days=DAYS)

    def times(self, n: int, start=None, end=None) -> list:
        """n increasing, distinct instants between start and end (default: the last two years)."""
        start, end = start or self.start, end or self.now - timedelta(hours=1)
        span = int((end - start).total_seconds() * 1_000_000)
        return [start + timedelta(microseconds=m) for m in sorted(self.rng.sample(range(span), n))]

    def pick(self, weights: dict) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    # --- people and calls ------------------------------------------------------------------------

    def people(self):
        staff = User.objects.create(username="bench-staff", first_name="Bench", last_name="Staff", is_staff=True)
        self.manager = User.objects.create(username="bench-manager", first_name="Bench", last_name="Manager")
        customers = [Customer(name=f"Organisation {i:03d}") for i in range(50)]
        self.customers = [c.pk for c in Customer.objects.bulk_create(customers)]
        managers = User.objects.bulk_create([User(username=f"manager{i}", first_name="Call", last_name=f"Manager{i}")
                                             for i in range(2 * CALLS - MANAGED_BY_BENCH_MANAGER)])
        names = [("reviewer", REVIEWERS), ("applicant", APPLICANTS)]
        created = self.times(REVIEWERS + APPLICANTS, end=self.start + timedelta(days=30))
        base = self.next_id(User)
        rows = [{"id": base + k, "username": f"{kind}{i:05d}", "first_name": f"Given{i}",
                 "last_name": f"{kind.capitalize()}{i}", "email": f"{kind}{i}@example.org", "date_joined": t,
                 "password": "!"}
                for k, ((kind, i), t) in enumerate(zip(((kind, i) for kind, n in names for i in range(n)), created, strict=True))]
        rows[0]["username"] = "bench-reviewer"
        self.copy(User, rows)
        self.reviewer_users = [base + i for i in range(REVIEWERS)]
        self.applicants = [base + REVIEWERS + i for i in range(APPLICANTS)]
        self.profiles = self.next_id(ReviewerProfile)
        self.copy(ReviewerProfile, [
            {"id": self.profiles + i, "user_id": uid, "created": t, "is_published": i % 2 == 0,
             "published_at": t if i % 2 == 0 else None, "biography": "Researcher."}
            for i, (uid, t) in enumerate(zip(self.reviewer_users, self.times(REVIEWERS, end=self.start + timedelta(days=60)), strict=True))
        ])
        self.profile_details()
        self.calls, others = [], iter(managers)
        for c in range(CALLS):
            mine = [self.manager] if c < MANAGED_BY_BENCH_MANAGER else []
            call = create_call(managers=mine + [next(others) for _ in range(2 - len(mine))], name=f"Call {c:02d}",
                               slug=f"call-{c:02d}", state="active", manager_id=self.customers[c])
            self.calls.append(call.pk)
        Call.objects.update(created=self.start)
        return staff

    def profile_details(self):
        """Each profile's affiliations, keywords and publications (WITHOUT, VOCABULARY), drawn
        from a generator of their own: the rest of the volume stays the rows earlier passes measured."""
        rng = random.Random(f"profile details {self.seed}")
        words = [f"w{k:04d}" for k in range(VOCABULARY)]
        text = lambda n: " ".join(rng.choices(words, k=n))  # noqa: E731 - a local shorthand
        affiliations, expertise, publications = [], [], []
        for i in range(REVIEWERS):
            profile, when = self.profiles + i, self.start + timedelta(days=i % DAYS)
            if rng.random() >= WITHOUT["affiliations"]:
                for k in range(rng.randint(1, 3)):
                    affiliations.append({"profile_id": profile, "organization_name": f"Institute {rng.randrange(400)}",
                                         "department": f"Department of {text(2)}", "position_title": "Researcher",
                                         "is_primary": k == 0, "created": when})
            if rng.random() >= WITHOUT["expertise"]:
                for keyword in rng.sample(words, rng.randint(1, 8)):
                    expertise.append({"profile_id": profile, "expertise_keyword": keyword, "created": when})
            if rng.random() >= WITHOUT["publications"]:
                for _ in range(min(20, 1 + int(rng.expovariate(1 / 5)))):
                    publications.append({"profile_id": profile, "title": text(10), "publication_year": rng.randint(2000, 2026),
                                         "venue": f"Journal of {text(2)}", "abstract": text(rng.randint(60, 220)),
                                         "coauthors": [f"Author {rng.randrange(10_000)}" for _ in range(rng.randint(1, 6))],
                                         "created": when})
        self.copy(ReviewerAffiliation, affiliations)
        self.copy(ReviewerExpertise, expertise)
        self.copy(ReviewerPublication, publications)

    # --- per call ----------------------------------------------------------------------------------

    def calls_content(self):
        rounds = {c: [Round.objects.create(call_id=c, name=f"Round {r}", slug=f"round-{r}",
                                           start_time=self.start + timedelta(days=300 * r),
                                           cutoff_time=self.start + timedelta(days=300 * r + 200)).pk
                      for r in range(2)] for c in self.calls}
        proposals, team, pool = [], [], []
        pid, eid = self.next_id(Proposal), self.next_id(CallReviewerPool)
        self.call_proposals, self.call_entries, self.entry_reviewer = {}, {}, {}
        for c in self.calls:
            ids = list(range(pid, pid + PROPOSALS_PER_CALL))
            pid += PROPOSALS_PER_CALL
            self.call_proposals[c] = ids
            for i, (p, t) in enumerate(zip(ids, self.times(PROPOSALS_PER_CALL, end=self.start + timedelta(days=120)), strict=True)):
                creator = self.rng.choice(self.applicants)
                proposals.append({"id": p, "round_id": rounds[c][i % 2], "call_id": c, "created": t,
                                  "name": f"Proposal {p}", "slug": f"proposal-{p}",
                                  "state": self.pick({"submitted": 0.3, "in_review": 0.5, "accepted": 0.1, "draft": 0.1}),
                                  "project_summary": "Summary.", "created_by_id": creator,
                                  "organization_id": self.rng.choice(self.customers)})
                members = {creator, *self.rng.sample(self.applicants, self.rng.randint(0, 2))}
                team += [{"proposal_id": p, "user_id": u} for u in members]
            reviewers = [0, *self.rng.sample(range(1, REVIEWERS), POOL_PER_CALL - 1)]  # bench-reviewer: everywhere
            entries = []
            for i, (r, t) in enumerate(zip(reviewers, self.times(POOL_PER_CALL, end=self.start + timedelta(days=150)), strict=True)):
                status = "accepted" if i == 0 else self.pick({"accepted": 0.8, "pending": 0.1, "declined": 0.05,
                                                              "expired": 0.05})
                pool.append({"id": eid, "call_id": c, "reviewer_id": self.profiles + r, "created": t, "invited_at": t,
                             "invitation_status": status, "max_assignments": 50,
                             "expertise_match_score": None if i % 3 == 0 else round(self.rng.random(), 4),
                             "response_date": t + timedelta(days=2) if status != "pending" else None})
                self.entry_reviewer[eid] = r
                if status == "accepted":
                    entries.append(eid)
                eid += 1
            self.call_entries[c] = entries
        self.copy(Proposal, proposals)
        self.copy(Proposal.team.through, team)
        self.copy(CallReviewerPool, pool)

    # --- batches, items, reviews -------------------------------------------------------------------

    def assignments(self):
        batch_id, item_id, review_id = self.next_id(AssignmentBatch), self.next_id(AssignmentItem), self.next_id(Review)
        created = self.times(BATCHES, start=self.start + timedelta(days=150))
        drafted, taken = set(), {}
        batches, items, reviews = [], [], []
        # 1, 2 or 3 items, exactly ITEMS in all
        per_batch = [1, 3] * (BATCHES // 4) + [2] * (BATCHES - 2 * (BATCHES // 4))
        self.rng.shuffle(per_batch)
        entries = [(c, e) for c in self.calls for e in self.call_entries[c]]
        for k, t in enumerate(created):
            c, e = self.rng.choice(entries)
            status = self.pick(BATCH_STATUSES)
            if status == "draft" and (c, e) in drafted:
                status = "cancelled"
            drafted.add((c, e)) if status == "draft" else None
            sent = None if status == "draft" or (status == "cancelled" and k % 2) else t + timedelta(hours=1)
            source = "manual" if k % 5 == 0 else "algorithm"
            batches.append({"id": batch_id, "call_id": c, "reviewer_pool_entry_id": e, "status": status, "created": t,
                            "sent_at": sent, "expires_at": sent and sent + timedelta(days=7),
                            "responded_at": t + timedelta(days=2) if status == "responded" else None,
                            "source": source, "created_by_id": None if source == "algorithm" else self.manager.pk})
            seen = taken.setdefault(e, set())
            for j in range(per_batch[k]):
                proposal = self.rng.choice(self.call_proposals[c])
                while proposal in seen:  # one item per (entry, proposal): no two items hold a pair
                    proposal = self.rng.choice(self.call_proposals[c])
                seen.add(proposal)
                item_status = self.pick(ITEM_STATUSES[status])
                review = None
                if item_status == "accepted":
                    review = review_id
                    reviews.append({"id": review_id, "proposal_id": proposal, "call_id": c, "created": t + timedelta(days=1),
                                    "reviewer_id": self.reviewer_users[self.entry_reviewer[e]],
                                    "state": self.pick({"in_review": 0.4, "submitted": 0.6})})
                    review_id += 1
                items.append({"id": item_id, "batch_id": batch_id, "call_id": c, "proposal_id": proposal, "pool_entry_id": e,
                              "status": item_status, "created": t + timedelta(microseconds=j + 1),
                              "affinity_score": None if source == "manual" else round(self.rng.random(), 4),
                              "has_coi": item_status == "coi_blocked", "review_id": review,
                              "responded_at": t + timedelta(days=1) if item_status in ("accepted", "declined") else None})
                item_id += 1
            batch_id += 1
        self.copy(AssignmentBatch, batches)
        self.copy(Review, reviews)
        self.copy(AssignmentItem, items)
        self.events(batches)

    def events(self, batches):
        kinds = ["ASSIGNMENT_BATCH_CREATED", "ASSIGNMENT_BATCH_SENT", "ASSIGNMENT_BATCH_RESPONDED"]
        self.copy(AuditEvent, [
            {"event_type": kinds[k], "call_id": b["call_id"], "object_type": "AssignmentBatch",
             "object_uuid": b["uuid"], "actor_id": self.manager.pk if k < 2 else None,
             "created": b["created"] + timedelta(hours=k), "to_state": b["status"]}
            for b in batches for k in range(EVENTS_PER_BATCH)
        ])

    # --- conflicts, bids, preview, jobs ----------------------------------------------------------------

    def pairs(self, n: int) -> list[tuple[int, int, int]]:
        """n distinct (call, profile id, proposal) pairs of pool members and their call's proposals."""
        found = set()
        while len(found) < n:
            c = self.rng.choice(self.calls)
            e = self.rng.choice(self.call_entries[c])
            found.add((c, self.profiles + self.entry_reviewer[e], self.rng.choice(self.call_proposals[c])))
        return sorted(found, key=lambda _: self.rng.random())

    def extras(self):
        rule = {"real": "recusal_required", "apparent": "management_allowed", "potential": "disclosure_only"}
        rows = []
        for (c, r, p), t in zip(self.pairs(CONFLICTS), self.times(CONFLICTS, start=self.start + timedelta(days=150)), strict=True):
            severity = self.pick({"real": 0.2, "apparent": 0.3, "potential": 0.5})
            rows.append({"call_id": c, "reviewer_id": r, "proposal_id": p, "created": t, "detected_at": t,
                         "coi_type": self.rng.choice(["COAUTH_RECENT", "INST_SAME", "ROLE_NAMED", "COAUTH_OLD"]),
                         "severity": severity, "rule": rule[severity],
                         "status": self.pick({"pending": 0.5, "dismissed": 0.3, "waived": 0.1, "recused": 0.1})})
        self.copy(ConflictOfInterest, rows)
        self.copy(ReviewerBid, [
            {"call_id": c, "reviewer_id": r, "proposal_id": p, "created": t,
             "bid": self.pick({"eager": 0.4, "willing": 0.3, "not_willing": 0.2, "conflict": 0.1})}
            for (c, r, p), t in zip(self.pairs(BIDS), self.times(BIDS, start=self.start + timedelta(days=120)), strict=True)
        ])
        first = self.calls[0]
        preview = sorted({(self.rng.choice(self.call_entries[first]), self.rng.choice(self.call_proposals[first]))
                          for _ in range(PROPOSED + PROPOSED // 10)})[:PROPOSED]
        self.copy(ProposedAssignment, [
            {"call_id": first, "reviewer_id": self.profiles + self.entry_reviewer[e], "proposal_id": p,
             "created": self.now - timedelta(days=1), "affinity_score": round(self.rng.random(), 4),
             "algorithm_used": "minmax", "rank": k % 5 + 1}
            for k, (e, p) in enumerate(preview)
        ])
        self.copy(COIDetectionJob, [
            {"call_id": c, "created": t, "state": "completed", "total_pairs": 4_000_000, "processed_pairs": 4_000_000,
             "started_at": t, "completed_at": t + timedelta(minutes=3), "created_by_id": self.manager.pk}
            for c in self.calls for t in self.times(5, start=self.start + timedelta(days=150))
        ])

    # --- COPY ----------------------------------------------------------------------------------------

    @staticmethod
    def next_id(model) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {model._meta.db_table}")
            return cursor.fetchone()[0]

    def copy(self, model, rows: list[dict]) -> None:
        """COPY the rows; columns a row leaves out get the field's default (`modified`: `created`).
        Each row dict gains the values written (its `uuid` is read back by the events)."""
        fields = [f for f in model._meta.concrete_fields if not (f.primary_key and "id" not in rows[0])]
        table, columns = model._meta.db_table, ", ".join(f.column for f in fields)
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                for field in fields:
                    if field.attname not in row:
                        row[field.attname] = row.get("created", self.now) if field.name == "modified" \
                            else field.get_default()
                copy.write_row([self._value(field, row[field.attname]) for field in fields])
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")

    @staticmethod
    def _value(field, value):
        if field.get_internal_type() == "JSONField":
            return json.dumps(value)
        return str(value) if isinstance(value, uuid.UUID) else value


def loaded() -> bool:
    return (AssignmentBatch.objects.count() == BATCHES and User.objects.filter(username="bench-reviewer").exists()
            and ReviewerPublication.objects.exists())


def load(seed: int = 0) -> None:
    volume = Volume(seed)
    with transaction.atomic():
        volume.people()
        volume.calls_content()
        volume.assignments()
        volume.extras()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def bench_users() -> dict[str, User]:
    return {role: User.objects.get(username=f"bench-{role}") for role in ("staff", "manager", "reviewer")}


def tokens() -> dict[str, str]:
    return {role: token_for(user) for role, user in bench_users().items()}
