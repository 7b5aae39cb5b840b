"""A bounded burst of mixed writes and reads from concurrent clients against a served Referee.

One call ("Burst call") with one block per client: a manager, a reviewer already in the pool, a
reviewer to invite, an applicant and five proposals. Each client runs its block's round-trip:
invite and re-invite a reviewer, assign three proposals by hand, send them, accept one, decline
one, assign two more and cancel them, start a conflict detection and a dry-run generation, with
list reads in between. The clients act on disjoint rows of one call, so every interleaving must
end in the same state (`expected_state`) while they contend for the call's locks.

The data is an import file (`dataset`), loaded with `referee import` or `import_data`."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

CLIENTS = 8
CALL_NAME = "Burst call"
CALL_SLUG = "burst-call"
STAFF = "burst-staff"
REQUEST_TIMEOUT = 10.0  # seconds: every request must answer within this
DETECTION_RUNNING = "A conflict detection job is already pending or running for this call."
DECLINE_REASON = "Not my field."
FIRST = {  # distinct first names, so that no reviewer's name matches an applicant's (ROLE_NAMED)
    "m": ["Ada", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana"],
    "r": ["Ivo", "Jun", "Kai", "Lea", "Max", "Nia", "Oto", "Pia"],
    "i": ["Quin", "Rae", "Sol", "Tia", "Uma", "Vic", "Wes", "Xia"],
    "a": ["Yan", "Zoe", "Abe", "Bea", "Cal", "Dot", "Eve", "Fox"],
}
LAST = {"m": "Manager", "r": "Reviewer", "i": "Invitee", "a": "Applicant"}


def username(kind: str, k: int) -> str:
    return f"burst-{kind}{k}"


def email(kind: str, k: int) -> str:
    return f"{username(kind, k)}@example.org"


def full_name(kind: str, k: int) -> str:
    return f"{FIRST[kind][k]} {LAST[kind]}"


def proposal_slug(k: int, j: int) -> str:
    return f"burst-{k}-{j}"


def dataset(now: datetime, clients: int = CLIENTS) -> dict:
    """The import file of the burst call (docs/import-format.md)."""
    users = [{"username": STAFF, "email": f"{STAFF}@example.org", "first_name": "Sam", "last_name": "Staff",
              "is_staff": True}]
    users += [{"username": username(kind, k), "email": email(kind, k), "first_name": FIRST[kind][k],
               "last_name": LAST[kind]} for k in range(clients) for kind in "mria"]
    return {
        "version": 1,
        "users": users,
        "call": {"slug": CALL_SLUG, "name": CALL_NAME, "state": "active",
                 "description": "A call that concurrent clients work on at once.",
                 "managers": [username("m", k) for k in range(clients)]},
        "rounds": [{"slug": "burst-round", "name": "Burst round",
                    "start_time": (now - timedelta(days=30)).isoformat(),
                    "cutoff_time": (now + timedelta(days=60)).isoformat(), "review_duration_in_days": 30}],
        "proposals": [{"slug": proposal_slug(k, j), "round": "burst-round", "name": f"Burst proposal {k}.{j}",
                       "project_summary": f"Summary of burst proposal {k}.{j} on ocean eddies and heat.",
                       "state": "submitted", "creator": username("a", k)}
                      for k in range(clients) for j in range(5)],
        "reviewers": [{"user": username(kind, k), "is_published": True,
                       "biography": "Physical oceanographer working on eddies and ocean heat transport."}
                      for k in range(clients) for kind in "ri"],
        "pool": [{"reviewer": username("r", k), "invitation_status": "accepted", "max_assignments": 10}
                 for k in range(clients)],
    }


def usernames(clients: int = CLIENTS) -> list[str]:
    return [STAFF] + [username(kind, k) for k in range(clients) for kind in "mr"]


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
    entries: dict[int, str]  # client → its reviewer's pool entry
    invitees: dict[int, str]  # client → the invitee's profile
    proposals: dict[str, str]  # slug → uuid


def discover(base: str, staff_token: str, clients: int = CLIENTS) -> Ids:
    with httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT, headers={"Authorization": f"Token {staff_token}"}) as s:
        [call] = [c for c in s.get("/api/proposal-protected-calls/", params={"page_size": 300}).json()
                  if c["name"] == CALL_NAME]
        pool = s.get(f"/api/proposal-protected-calls/{call['uuid']}/reviewer-pool/", params={"page_size": 300}).json()
        by_name = {e["reviewer_name"]: e["uuid"] for e in pool}
        profiles = {}
        for page in (1, 2, 3):
            rows = s.get("/api/reviewer-profiles/", params={"page_size": 300, "page": page})
            if rows.status_code != 200:
                break
            profiles.update({p["user_full_name"]: p["uuid"] for p in rows.json()})
        proposals = s.get("/api/proposal-proposals/", params={"call_uuid": call["uuid"], "page_size": 300}).json()
    return Ids(call=call["uuid"],
               entries={k: by_name[full_name("r", k)] for k in range(clients)},
               invitees={k: profiles[full_name("i", k)] for k in range(clients)},
               proposals={p["slug"]: p["uuid"] for p in proposals})


def client_round(base: str, tokens: dict[str, str], ids: Ids, k: int, run: Run) -> None:
    """Client k's round-trip; each step is followed by a read, as a manager's console would."""
    manager = Client(base, tokens[username("m", k)], run, k)
    reviewer = Client(base, tokens[username("r", k)], run, k)
    call = f"/api/proposal-protected-calls/{ids.call}"
    p = [ids.proposals[proposal_slug(k, j)] for j in range(5)]
    reads = [("/api/assignment-batches/", {"call_uuid": ids.call, "page_size": 50}),
             ("/api/assignment-items/", {"call_uuid": ids.call, "page_size": 50}),
             (f"{call}/reviewer-pool/", {"page_size": 50}),
             ("/api/coi-detection-jobs/", {"call_uuid": ids.call}),
             ("/api/events/", {"call_uuid": ids.call, "page_size": 50})]

    def read(step: int):
        path, params = reads[(k + step) % len(reads)]
        manager.request("read", "GET", path, params=params)

    try:
        invited = manager.request("invite", "POST", f"{call}/reviewer-pool/", {"reviewer_uuids": [ids.invitees[k]]})
        run.expect_mail(email("i", k), f'Invitation to review for "{CALL_NAME}"')
        read(0)
        if invited.status == 200 and invited.body:
            manager.request("resend", "POST", f"/api/call-reviewer-pools/{invited.body[0]['uuid']}/resend-invitation/")
            run.expect_mail(email("i", k), f'Invitation to review for "{CALL_NAME}"')
        read(1)
        first = manager.request("assign", "POST", f"{call}/create-manual-assignment/",
                                {"reviewer_pool_entry_uuid": ids.entries[k], "proposal_uuids": p[:3]})
        read(2)
        if first.status == 200:
            batch = first.body["batch_uuid"]
            if manager.request("send", "POST", f"/api/assignment-batches/{batch}/send/", {}).status == 200:
                run.expect_mail(email("r", k), f'You have 3 proposal(s) to review for "{CALL_NAME}"')
            mine = reviewer.request("my batch", "GET", f"/api/my-assignment-batches/{batch}/")
            items = {i["proposal_uuid"]: i["uuid"] for i in (mine.body or {}).get("items", [])}
            if items:
                reviewer.request("accept", "POST", f"/api/assignment-items/{items[p[0]]}/accept/")
                if reviewer.request("decline", "POST", f"/api/assignment-items/{items[p[1]]}/decline/",
                                    {"reason": DECLINE_REASON}).status == 200:
                    run.expect_mail(",".join(email("m", m) for m in range(len(ids.entries))),
                                    f'{full_name("r", k)} declined to review "Burst proposal {k}.1"')
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


def burst(base: str, tokens: dict[str, str], ids: Ids, clients: int = CLIENTS) -> Run:
    """All clients at once (one thread each), started together."""
    run = Run()
    barrier = threading.Barrier(clients)

    def one(k):
        barrier.wait(30)
        client_round(base, tokens, ids, k, run)

    threads = [threading.Thread(target=one, args=(k,), name=f"burst-client-{k}") for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(clients * 15 * REQUEST_TIMEOUT)  # bounded even if every request timed out
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
    """The call as staff reads it afterwards: batches, items, reviews and pool by client."""
    with httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT, headers={"Authorization": f"Token {staff_token}"}) as s:
        def rows(path, **params):
            return s.get(path, params={"call_uuid": ids.call, "page_size": 300, **params}).json()

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


def expected_state(clients: int = CLIENTS) -> dict:
    items = []
    for k in range(clients):
        items += [(proposal_slug(k, 0), "accepted"), (proposal_slug(k, 1), "declined"),
                  (proposal_slug(k, 2), "pending"), (proposal_slug(k, 3), "expired"), (proposal_slug(k, 4), "expired")]
    return {
        "batches": {"sent": clients, "cancelled": clients},
        "items": sorted(items),
        "reviews": sorted((proposal_slug(k, 0), full_name("r", k), "in_review") for k in range(clients)),
        "pool": {"accepted": clients, "pending": clients},
        "conflicts": 0,
    }
