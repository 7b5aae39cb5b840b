"""Reviewer bids (§3.9): a reviewer in a call's pool tells how much they want each proposal.

Submitting locks the reviewer's pool entry first (§7 order), which also serialises two submits
of the same pair, so "created or updated" never races into the unique constraint."""

from django.db import transaction

from referee.calls.models import Proposal
from referee.core.audit import record
from referee.core.enums import AuditEventType
from referee.core.errors import DomainError, FieldError
from referee.reviewers.models import CallReviewerPool, ReviewerBid, ReviewerProfile

NO_PROFILE = "You must have a reviewer profile to submit bids."
PROPOSAL_NOT_FOUND = "Proposal not found."
NOT_IN_POOL = "You are not in the reviewer pool for this call."
BIDDING_CLOSED = "Bidding is closed for this proposal."


def bidder_profile(user) -> ReviewerProfile:
    profile = ReviewerProfile.objects.filter(user_id=user.pk).first()
    if profile is None:
        raise DomainError(NO_PROFILE)
    return profile


def submit_bid(user, *, proposal_uuid, bid: str, comment: str | None = None) -> ReviewerBid:
    """Create or update the caller's bid on a proposal. `comment` None keeps the current one."""
    return _submit(bidder_profile(user), proposal_uuid, bid, comment, actor=user)


def bulk_submit_bids(user, bodies) -> list[str | None]:
    """Each body saved alone by the submit rules (one failing bid does not undo the others).
    Returns, per body, None if it was saved, else the refusal's message."""
    profile = bidder_profile(user)
    outcomes = []
    for body in bodies:
        try:
            _submit(profile, body["proposal_uuid"], body["bid"], body.get("comment"), actor=user)
        except DomainError as refusal:
            outcomes.append(refusal.message)
        else:
            outcomes.append(None)
    return outcomes


def _submit(profile, proposal_uuid, bid, comment, *, actor) -> ReviewerBid:
    proposal = Proposal.objects.filter(uuid=proposal_uuid).first()
    if proposal is None:
        raise FieldError("proposal_uuid", PROPOSAL_NOT_FOUND)
    with transaction.atomic():
        entry = (
            CallReviewerPool.objects.select_for_update()
            .filter(call_id=proposal.call_id, reviewer=profile, invitation_status=CallReviewerPool.Status.ACCEPTED)
            .first()
        )
        if entry is None:
            raise DomainError(NOT_IN_POOL)
        if not proposal.is_open_for_review:
            raise DomainError(BIDDING_CLOSED)
        existing = ReviewerBid.objects.select_for_update().filter(reviewer=profile, proposal=proposal).first()
        if existing is None:
            created = ReviewerBid.objects.create(reviewer=profile, proposal=proposal, bid=bid, comment=comment or "")
            record(AuditEventType.REVIEWER_BID_SUBMITTED, created, actor=actor, call=entry.call, to_state=bid)
            return created
        return _change(existing, actor=actor, value=bid, comment=comment)


def update_bid(bid, *, actor, changes: dict) -> ReviewerBid:
    """PUT/PATCH by the owner: `bid` and/or `comment`."""
    with transaction.atomic():
        bid = ReviewerBid.objects.select_for_update().get(pk=bid.pk)
        return _change(bid, actor=actor, value=changes.get("bid"), comment=changes.get("comment"))


def delete_bid(bid, *, actor) -> None:
    with transaction.atomic():
        bid = ReviewerBid.objects.select_for_update().get(pk=bid.pk)
        record(AuditEventType.REVIEWER_BID_DELETED, bid, actor=actor, call=bid.call, from_state=bid.bid,
               proposal=bid.proposal.uuid.hex)
        bid.delete()


def _change(row, *, actor, value=None, comment=None) -> ReviewerBid:
    """Set what was given (None = keep) on a locked bid and audit the change."""
    previous = row.bid
    if value is not None:
        row.bid = value
    if comment is not None:
        row.comment = comment
    row.save()
    record(AuditEventType.REVIEWER_BID_UPDATED, row, actor=actor, call=row.call, from_state=previous, to_state=row.bid)
    return row
