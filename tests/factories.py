"""Plain builders for test data: each returns saved rows with sensible defaults."""

import itertools
from datetime import timedelta

from django.utils import timezone

from referee.assignments.models import AssignmentBatch, AssignmentItem
from referee.calls.domain import create_call
from referee.calls.models import Proposal, Round
from referee.conflicts.models import ConflictOfInterest
from referee.core.accounts import create_user
from referee.core.models import Customer
from referee.reviewers.models import CallReviewerPool, ReviewerProfile

_seq = itertools.count(1)


def user(username=None, **kwargs):
    n = next(_seq)
    username = username or f"user{n}"
    kwargs.setdefault("email", f"{username}@example.org")
    kwargs.setdefault("first_name", username.capitalize())
    kwargs.setdefault("last_name", "Tester")
    return create_user(username, **kwargs)


def customer(name=None):
    return Customer.objects.create(name=name or f"Organisation {next(_seq)}")


def call(managers=(), **kwargs):
    n = next(_seq)
    kwargs.setdefault("name", f"Call {n}")
    kwargs.setdefault("slug", f"call-{n}")
    kwargs.setdefault("state", "active")
    return create_call(managers=list(managers), **kwargs)


def round_(call, **kwargs):
    now = timezone.now()
    kwargs.setdefault("name", f"Round {next(_seq)}")
    kwargs.setdefault("start_time", now - timedelta(days=10))
    kwargs.setdefault("cutoff_time", now + timedelta(days=20))
    return Round.objects.create(call=call, **kwargs)


def proposal(round, created_by=None, team=(), **kwargs):
    n = next(_seq)
    kwargs.setdefault("name", f"Proposal {n}")
    kwargs.setdefault("slug", f"proposal-{n}")
    kwargs.setdefault("state", "submitted")
    kwargs.setdefault("project_summary", f"Summary of proposal {n}")
    kwargs.setdefault("description", f"Description of proposal {n}")
    p = Proposal.objects.create(round=round, created_by=created_by, **kwargs)
    members = {m for m in [created_by, *team] if m is not None}
    if members:
        p.team.add(*members)
    return p


def profile(user, **kwargs):
    return ReviewerProfile.objects.create(user=user, **kwargs)


def pool_entry(call, profile, status="accepted", **kwargs):
    kwargs.setdefault("invited_at", timezone.now())
    return CallReviewerPool.objects.create(call=call, reviewer=profile, invitation_status=status, **kwargs)


def batch(entry, status="draft", created_by=None, **kwargs):
    now = timezone.now()
    if status in ("sent", "responded", "expired"):
        kwargs.setdefault("sent_at", now - timedelta(days=1))
        kwargs.setdefault("expires_at", now + timedelta(days=6) if status != "expired" else now - timedelta(hours=1))
    if status == "responded":
        kwargs.setdefault("responded_at", now)
    return AssignmentBatch.objects.create(
        call=entry.call, reviewer_pool_entry=entry, status=status, created_by=created_by, **kwargs
    )


def item(batch, proposal, status="pending", **kwargs):
    kwargs.setdefault("has_coi", status == "coi_blocked")
    return AssignmentItem.objects.create(batch=batch, proposal=proposal, status=status, **kwargs)


# A type and severity that each rule governs under the default COI configuration (rule by severity, §5.8).
_CONFLICT_OF_RULE = {
    "recusal_required": ("ROLE_NAMED", "real"),
    "management_allowed": ("INST_FORMER", "apparent"),
    "disclosure_only": ("COAUTH_OLD", "potential"),
}


def conflict(reviewer, proposal, rule="recusal_required", status="pending", **kwargs):
    """A conflict of interest of a reviewer profile with a proposal, in the proposal's call. `rule`
    decides whether it blocks; the type and severity default to a pair that rule governs."""
    coi_type, severity = _CONFLICT_OF_RULE[rule]
    kwargs.setdefault("coi_type", coi_type)
    kwargs.setdefault("severity", severity)
    return ConflictOfInterest.objects.create(reviewer=reviewer, proposal=proposal, call=proposal.call, rule=rule,
                                             status=status, **kwargs)
