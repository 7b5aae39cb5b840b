"""Demo data: one active call with an open round, 20 proposals, 8 reviewers in its pool, and
assignment batches in every status (`referee load_demo`).

Calls, proposals, people and pool come from `demo.json` through the importer; batches, items and
reviews are written directly, in states coherent with CONTRACT §4.1/§4.2, because they normally
result from Referee's own actions. Everything is idempotent: the import updates in place, and
batches are only created while the call has none.
"""

import json
import secrets
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from referee.assignments.models import AssignmentBatch, AssignmentItem
from referee.calls.models import Call, Proposal
from referee.core.accounts import token_for
from referee.core.models import User
from referee.core.sign_in_links import issue_sign_in_link, lifetime_until
from referee.imports import import_data
from referee.notifications.mails import REVIEWS_PATH
from referee.notifications.outbox import when
from referee.reviewers.models import CallReviewerPool
from referee.reviews.models import Review

DEMO_FILE = Path(__file__).with_name("demo.json")
CALL_SLUG = "hpc-allocations-2027"

# (reviewer, batch status, source, sent days ago, expires in days, responded days ago,
#  [(proposal slug, item status, affinity)]). None = not set; days are relative to now.
BATCHES = [
    ("reviewer1", "expired", "algorithm", 15, -8, None, [("arctic-sea-ice-ensembles", "expired", 0.71)]),
    ("reviewer1", "draft", "algorithm", None, None, None, [
        ("km-climate-extremes", "pending", 0.83), ("arctic-sea-ice-ensembles", "pending", 0.71),
        ("neural-operator-downscaling", "pending", 0.64)]),
    ("reviewer2", "sent", "algorithm", 2, 5, None, [
        ("idp-folding-pathways", "pending", 0.88), ("allosteric-amr-inhibitors", "pending", 0.79),
        ("brain-singlecell-atlas", "pending", 0.41)]),
    ("reviewer3", "responded", "algorithm", 6, 1, 3, [
        ("transonic-buffet-les", "accepted", 0.91), ("h2-combustion-instabilities", "accepted", 0.76),
        ("alpine-full-waveform-inversion", "declined", 0.32)]),
    ("reviewer4", "expired", "algorithm", 12, -5, None, [
        ("first-galaxies-cosmo-sims", "expired", 0.86), ("magnetorotational-supernovae", "expired", 0.69)]),
    ("reviewer5", "cancelled", "algorithm", 8, -1, None, [
        ("solid-electrolytes-dft", "expired", 0.84), ("fusion-materials-mlip", "expired", 0.73)]),
    ("reviewer6", "responded", "algorithm", 5, 2, 1, [
        ("wheat-pangenome-graphs", "accepted", 0.87), ("agent-based-pandemic", "declined", 0.22)]),
    ("reviewer7", "sent", "manual", 1, 6, None, [
        ("multilingual-llm-low-resource", "accepted", 0.92), ("neural-operator-downscaling", "pending", 0.58)]),
    ("reviewer8", "draft", "manual", None, None, None, [
        ("stellarator-gyrokinetics", "pending", 0.47), ("km-climate-extremes", "pending", 0.52)]),
    # Cancelled before it was ever sent: no sent_at, items expired.
    ("reviewer8", "cancelled", "algorithm", None, None, None, [("arctic-sea-ice-ensembles", "expired", 0.39)]),
]
# The reviewer whose one-time sign-in link `load_demo` prints: a sent batch waits for their answer.
LINK_REVIEWER = "reviewer2"
DECLINE_REASON = "Outside my area of expertise; I would not be a fair judge of this proposal."
ROLES = {"manager": "call manager", "staff": "staff"}


def demo_data(now: datetime) -> dict:
    """demo.json with the round moved around `now` (whole days, so reruns on one day change
    nothing): the demo call always has an open round."""
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    midnight = datetime.combine(now.date(), time(), tzinfo=UTC)
    for r in data["rounds"]:
        r["start_time"] = (midnight - timedelta(days=30)).isoformat()
        r["cutoff_time"] = (midnight + timedelta(days=60)).isoformat()
    return data


@transaction.atomic
def load() -> tuple[dict, int]:
    """Import the demo and add its batches; returns (import summary, batches created)."""
    now = timezone.now()
    stats = import_data(demo_data(now))
    call = Call.objects.select_for_update().get(slug=CALL_SLUG)  # serialise concurrent loads
    if call.assignment_batches.exists():
        return stats, 0
    return stats, create_batches(call, now)


def create_batches(call: Call, now: datetime) -> int:
    manager = call.managers.order_by("pk").first()
    pool = CallReviewerPool.objects.filter(call=call).select_related("reviewer__user")
    entries = {e.reviewer.user.username: e for e in pool}
    proposals = {p.slug: p for p in Proposal.objects.filter(call=call)}

    def ago(days):
        return None if days is None else now - timedelta(days=days)

    for username, status, source, sent, expires, responded, items in BATCHES:
        entry = entries[username]
        sent_at = ago(sent)
        batch = AssignmentBatch.objects.create(
            call=call, reviewer_pool_entry=entry, status=status, source=source, created_by=manager,
            created=(sent_at or now) - timedelta(hours=2), sent_at=sent_at,
            expires_at=None if expires is None else now + timedelta(days=expires), responded_at=ago(responded),
        )
        answered_at = ago(responded) or (sent_at and sent_at + timedelta(hours=20))
        for slug, item_status, affinity in items:
            item = AssignmentItem(batch=batch, proposal=proposals[slug], status=item_status, affinity_score=affinity)
            if item_status in ("accepted", "declined"):
                item.responded_at = answered_at
            if item_status == "declined":
                item.decline_reason = DECLINE_REASON
            if item_status == "accepted":
                # §4.2 accept: exactly one in_review Review by the profile's user, linked to the item.
                item.review = Review.objects.create(proposal=item.proposal, reviewer=entry.reviewer.user,
                                                    state=Review.State.IN_REVIEW, created=answered_at)
            item.save()
    return len(BATCHES)


def demo_users(known_passwords: dict[str, str] | None = None) -> list[dict]:
    """Every user of the demo file with its role, API token and password, in file order.

    A user keeps the password in `known_passwords` (what var/demo-tokens.json said) while it still
    has a usable one; any other gets a new random password, set now. Demo accounts only: their
    passwords are printed and written beside the tokens so the admin and sign-in work at once."""
    known_passwords = known_passwords or {}
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    users = User.objects.in_bulk([u["username"] for u in data["users"]], field_name="username")
    rows = []
    for u in data["users"]:
        user = users[u["username"]]
        password = known_passwords.get(user.username)
        if not (password and user.has_usable_password()):
            password = secrets.token_urlsafe(9)
            user.set_password(password)
            user.save(update_fields=["password"])
        role = ROLES.get(user.username) or user.username.rstrip("0123456789")
        rows.append({"username": user.username, "role": role, "token": token_for(user), "password": password})
    return rows


@transaction.atomic
def reviewer_sign_in_link() -> tuple[str, str]:
    """(username, line) for a new one-time link that signs the demo reviewer in on My assignments,
    valid until their open batch's deadline (14 days when it has passed: the demo may be old)."""
    user = User.objects.get(username=LINK_REVIEWER)
    batch = (AssignmentBatch.objects.filter(reviewer_pool_entry__reviewer__user=user, status=AssignmentBatch.Status.SENT)
             .order_by("-expires_at").first())
    deadline = batch.expires_at if batch and batch.expires_at > timezone.now() else None
    expires_at = lifetime_until(deadline)
    return user.username, f"{issue_sign_in_link(user, REVIEWS_PATH, expires_at)} (one use, until {when(expires_at)})"
