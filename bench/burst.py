"""A burst of mixed writes and reads from concurrent clients against a served Referee: the live
tests' scenario (tests/live/test_burst.py) and the load of `python -m bench.bench_burst`.

One call with `blocks` blocks, each holding a manager, a reviewer already in the pool, a reviewer
to invite, an applicant and five proposals. A client plays one block's round-trip: invite and
re-invite the reviewer, assign three proposals by hand, send them, accept one, decline one,
assign two more and cancel them, start a conflict detection and a dry-run generation, with list
reads in between. Blocks are disjoint rows of one call, so every interleaving must end in the
same state (`expected_state`) while the clients contend for the call's locks. A `tag` names one
scenario's call and users, so that several can live in one database."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

REQUEST_TIMEOUT = 10.0  # seconds: every request must answer within this
DETECTION_RUNNING = "A conflict detection job is already pending or running for this call."
DECLINE_REASON = "Not my field."
# Distinct first names per kind (letters only: ROLE_NAMED compares normalised full names, so no
# reviewer may share an applicant's name) and the block number spelled in letters as last name.
FIRST = {"m": "Mira", "r": "Ravi", "i": "Iris", "a": "Abel"}
LAST = {"m": "Manager", "r": "Reviewer", "i": "Invitee", "a": "Applicant"}


def letters(n: int) -> str:
    """0 → "A", 25 → "Z", 26 → "Ba": a block number as a word."""
    word = ""
    while True:
        n, digit = divmod(n, 26)
        word = chr(65 + digit) + word
        if n == 0:
            return word.capitalize()


@dataclass(frozen=True)
class Scenario:
    blocks: int = 8
    tag: str = ""

    @property
    def call_name(self) -> str:
        return f"Burst call {self.tag}".strip()

    @property
    def staff(self) -> str:
        return f"burst{self.tag}-staff"

    def username(self, kind: str, k: int) -> str:
        return f"burst{self.tag}-{kind}{k}"

    def email(self, kind: str, k: int) -> str:
        return f"{self.username(kind, k)}@example.org"

    def full_name(self, kind: str, k: int) -> str:
        return f"{FIRST[kind]} {LAST[kind]} {letters(k)}"

    def proposal_slug(self, k: int, j: int) -> str:
        return f"burst{self.tag}-{k}-{j}"

    def proposal_name(self, k: int, j: int) -> str:
        return f"Burst proposal {k}.{j}"

    def usernames(self) -> list[str]:
        return [self.staff] + [self.username(kind, k) for k in range(self.blocks) for kind in "mr"]

    def dataset(self, now: datetime) -> dict:
        """The import file of the call (docs/import-format.md)."""
        users = [{"username": self.staff, "email": f"{self.staff}@example.org", "first_name": "Sam",
                  "last_name": "Staff", "is_staff": True}]
        users += [{"username": self.username(kind, k), "email": self.email(kind, k),
                   "first_name": FIRST[kind], "last_name": f"{LAST[kind]} {letters(k)}"}
                  for k in range(self.blocks) for kind in "mria"]
        return {
            "version": 1,
            "users": users,
            "call": {"slug": f"burst-call{self.tag}", "name": self.call_name, "state": "active",
                     "description": "A call that concurrent clients work on at once.",
                     "managers": [self.username("m", k) for k in range(self.blocks)]},
            "rounds": [{"slug": "burst-round", "name": "Burst round",
                        "start_time": (now - timedelta(days=30)).isoformat(),
                        "cutoff_time": (now + timedelta(days=60)).isoformat(), "review_duration_in_days": 30}],
            "proposals": [{"slug": self.proposal_slug(k, j), "round": "burst-round", "name": self.proposal_name(k, j),
                           "project_summary": f"Summary of burst proposal {k}.{j} on ocean eddies and heat.",
                           "state": "submitted", "creator": self.username("a", k)}
                          for k in range(self.blocks) for j in range(5)],
            "reviewers": [{"user": self.username(kind, k), "is_published": True,
                           "biography": "Physical oceanographer working on eddies and ocean heat transport."}
                          for k in range(self.blocks) for kind in "ri"],
            "pool": [{"reviewer": self.username("r", k), "invitation_status": "accepted", "max_assignments": 10}
                     for k in range(self.blocks)],
        }

    def expected_state(self, played=None) -> dict:
        """The call after the round-trips of the blocks `played` (default: all)."""
        played = sorted(range(self.blocks) if played is None else played)
        items = []
        for k in played:
            items += [(self.proposal_slug(k, 0), "accepted"), (self.proposal_slug(k, 1), "declined"),
                      (self.proposal_slug(k, 2), "pending"), (self.proposal_slug(k, 3), "expired"),
                      (self.proposal_slug(k, 4), "expired")]
        return {
            "batches": {"sent": len(played), "cancelled": len(played)} if played else {},
            "items": sorted(items),
            "reviews": sorted((self.proposal_slug(k, 0), self.full_name("r", k), "in_review") for k in played),
            "pool": {"accepted": self.blocks, **({"pending": len(played)} if played else {})},
            "conflicts": 0,
        }


@dataclass
class Record:
    client: int
    label: str
    method: str
    path: str
    status: int | None  # None: no answer within REQUEST_TIMEOUT
    seconds: float
    body: object = None
    error: str = ""


@dataclass
class Run:
    """Everything the clients did: each request, and when each mail-causing request answered."""

    records: list[Record] = field(default_factory=list)
    mails: list[tuple[float, str, str]] = field(default_factory=list)  # (answered at, to, subject)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, record: Record):
        with self.lock:
            self.records.append(record)

    def expect_mail(self, to: str, subject: str):
        with self.lock:
            self.mails.append((time.time(), to, subject))


class Client:
    """One user's HTTP session; every request is recorded, none raises."""

    def __init__(self, base: str, token: str, run: Run, client: int):
        self.http = httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT,
                                 headers={"Authorization": f"Token {token}"})
        self.run, self.client = run, client

    def request(self, label: str, method: str, path: str, json=None, params=None) -> Record:
        start = time.monotonic()
        try:
            response = self.http.request(method, path, json=json, params=params)
            body = response.json() if response.content else None
            record = Record(self.client, label, method, path, response.status_code, time.monotonic() - start, body)
        except (httpx.HTTPError, ValueError) as exc:
            record = Record(self.client, label, method, path, None, time.monotonic() - start, error=repr(exc))
        self.run.add(record)
        return record

    def close(self):
        self.http.close()


@dataclass
class Ids:
    """What the clients need to know, found once through the API by staff before the burst."""

    call: str
    entries: dict[int, str]  # block → its reviewer's pool entry
    invitees: dict[int, str]  # block → the invitee's profile
    proposals: dict[str, str]  # slug → uuid


def discover(base: str, staff_token: str, scenario: Scenario) -> Ids:
    with httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Token {staff_token}"}) as s:
        def every(path, **params):
            rows, page = [], 1
            while True:
                response = s.get(path, params={**params, "page_size": 300, "page": page})
                if response.status_code == 404 and page > 1:
                    return rows
                rows += response.json()
                page += 1

        [call] = [c for c in every("/api/proposal-protected-calls/") if c["name"] == scenario.call_name]
        pool = {e["reviewer_name"]: e["uuid"] for e in every(f"/api/proposal-protected-calls/{call['uuid']}/reviewer-pool/")}
        # By address: several scenarios in one database have invitees of the same names.
        profiles = {p["user_email"]: p["uuid"] for p in every("/api/reviewer-profiles/", user_name="Invitee")}
        proposals = {p["slug"]: p["uuid"] for p in every("/api/proposal-proposals/", call_uuid=call["uuid"])}
    return Ids(call=call["uuid"],
               entries={k: pool[scenario.full_name("r", k)] for k in range(scenario.blocks)},
               invitees={k: profiles[scenario.email("i", k)] for k in range(scenario.blocks)},
               proposals=proposals)


def block_round(base: str, tokens: dict[str, str], ids: Ids, scenario: Scenario, k: int, run: Run,
                client: int) -> None:
    """Block k's round-trip; each step is followed by a read, as a manager's console would."""
    s = scenario
    manager = Client(base, tokens[s.username("m", k)], run, client)
    reviewer = Client(base, tokens[s.username("r", k)], run, client)
    call = f"/api/proposal-protected-calls/{ids.call}"
    p = [ids.proposals[s.proposal_slug(k, j)] for j in range(5)]
    reads = [("/api/assignment-batches/", {"call_uuid": ids.call, "page_size": 50}),
             ("/api/assignment-items/", {"call_uuid": ids.call, "page_size": 50}),
             (f"{call}/reviewer-pool/", {"page_size": 50}),
             ("/api/coi-detection-jobs/", {"call_uuid": ids.call}),
             ("/api/events/", {"call_uuid": ids.call, "page_size": 50})]

    def read(step: int):
        path, params = reads[(k + step) % len(reads)]
        manager.request("read", "GET", path, params=params)

    invitation = f'Invitation to review for "{s.call_name}"'
    try:
        invited = manager.request("invite", "POST", f"{call}/reviewer-pool/", {"reviewer_uuids": [ids.invitees[k]]})
        run.expect_mail(s.email("i", k), invitation)
        read(0)
        if invited.status == 200 and invited.body:
            manager.request("resend", "POST", f"/api/call-reviewer-pools/{invited.body[0]['uuid']}/resend-invitation/")
            run.expect_mail(s.email("i", k), invitation)
        read(1)
        first = manager.request("assign", "POST", f"{call}/create-manual-assignment/",
                                {"reviewer_pool_entry_uuid": ids.entries[k], "proposal_uuids": p[:3]})
        read(2)
        if first.status == 200:
            batch = first.body["batch_uuid"]
            if manager.request("send", "POST", f"/api/assignment-batches/{batch}/send/", {}).status == 200:
                run.expect_mail(s.email("r", k), f'You have 3 proposal(s) to review for "{s.call_name}"')
            mine = reviewer.request("my batch", "GET", f"/api/my-assignment-batches/{batch}/")
            items = {i["proposal_uuid"]: i["uuid"] for i in (mine.body or {}).get("items", [])}
            if items:
                reviewer.request("accept", "POST", f"/api/assignment-items/{items[p[0]]}/accept/")
                if reviewer.request("decline", "POST", f"/api/assignment-items/{items[p[1]]}/decline/",
                                    {"reason": DECLINE_REASON}).status == 200:
                    run.expect_mail(",".join(s.email("m", m) for m in range(s.blocks)),
                                    f'{s.full_name("r", k)} declined to review "{s.proposal_name(k, 1)}"')
        read(3)
        second = manager.request("assign", "POST", f"{call}/create-manual-assignment/",
                                 {"reviewer_pool_entry_uuid": ids.entries[k], "proposal_uuids": p[3:]})
        if second.status == 200:
            manager.request("cancel", "POST", f"/api/assignment-batches/{second.body['batch_uuid']}/cancel/")
        read(4)
        manager.request("detect", "POST", f"{call}/detect-conflicts/", {})
        manager.request("generate", "POST", f"{call}/generate-assignments/", {"dry_run": True})
        reviewer.request("read", "GET", "/api/my-assignment-batches/")
        read(5)
    finally:
        manager.close()
        reviewer.close()


def burst(base: str, tokens: dict[str, str], ids: Ids, scenario: Scenario, clients: int = 8,
          deadline: float | None = None) -> Run:
    """`clients` threads started together; client c plays blocks c, c + clients, … (all of them,
    or until `deadline`, a time.monotonic() value)."""
    run = Run()
    barrier = threading.Barrier(clients)

    def play(c):
        barrier.wait(30)
        for k in range(c, scenario.blocks, clients):
            if deadline is not None and time.monotonic() > deadline:
                return
            block_round(base, tokens, ids, scenario, k, run, c)

    threads = [threading.Thread(target=play, args=(c,), name=f"burst-client-{c}") for c in range(clients)]
    for thread in threads:
        thread.start()
    rounds = -(-scenario.blocks // clients)
    for thread in threads:
        thread.join(rounds * 15 * REQUEST_TIMEOUT)  # bounded even if every request timed out
    assert not any(t.is_alive() for t in threads), "a burst client never finished"
    return run


def refusals(run: Run) -> list[str]:
    """Every request that did not answer as the round-trip requires, in words."""
    wrong = []
    for r in run.records:
        allowed = {200} | ({400} if r.label == "detect" else set())
        if r.status not in allowed:
            wrong.append(f"client {r.client} {r.label} {r.method} {r.path} → {r.status} in {r.seconds:.1f}s "
                         f"{r.error or r.body}")
        elif r.label == "detect" and r.status == 400 and r.body != {"detail": DETECTION_RUNNING}:
            wrong.append(f"client {r.client} detect → 400 {r.body}")
    return wrong


def state(base: str, staff_token: str, ids: Ids) -> dict:
    """The call as staff reads it afterwards: batches, items, reviews, pool, jobs, conflicts."""
    with httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Token {staff_token}"}) as s:
        def rows(path):
            found, page = [], 1
            while True:
                response = s.get(path, params={"call_uuid": ids.call, "page_size": 300, "page": page})
                if response.status_code == 404 and page > 1:
                    return found
                found += response.json()
                page += 1

        slug_of = {uuid: slug for slug, uuid in ids.proposals.items()}
        batches = Counter(b["status"] for b in rows("/api/assignment-batches/"))
        items = sorted((slug_of[i["proposal_uuid"]], i["status"]) for i in rows("/api/assignment-items/"))
        reviews = sorted((slug_of[r["proposal_uuid"]], r["reviewer_full_name"], r["state"])
                         for r in rows("/api/proposal-reviews/"))
        pool = Counter(e["invitation_status"] for e in rows("/api/call-reviewer-pools/"))
        jobs = Counter(j["state"] for j in rows("/api/coi-detection-jobs/"))
        conflicts = len(rows("/api/conflicts-of-interest/"))
    return {"batches": dict(batches), "items": items, "reviews": reviews, "pool": dict(pool),
            "jobs": dict(jobs), "conflicts": conflicts}
