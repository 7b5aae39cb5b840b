"""Reviewer bids (§3.9): a reviewer in a call's pool tells how much they want each proposal.

Submitting locks the reviewer's pool entry first (§7 order), which also serialises two submits
of the same pair, so "created or updated" never races into the unique constraint. A bulk submit
takes the same locks for all its bodies at once, so it serialises with single submits too."""

from django.db import transaction
from django.utils import timezone

from referee.calls.models import Proposal
from referee.core.audit import event, record, record_many
from referee.core.enums import AuditEventType
from referee.core.errors import DomainError, FieldError
from referee.core.models import AuditEvent
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
    """Each body (as `BidSubmitSerializer` validates it) decided and written as `submit_bid` would
    have, one after the other: a refused body does not stop the others, and a proposal named twice
    is created by the first and updated by the second. Returns, per body, None if it was saved,
    else the refusal's message. One transaction, in statements that do not grow with the bodies."""
    profile, bodies = bidder_profile(user), list(bodies)
    with transaction.atomic():
        proposals = Proposal.objects.in_bulk([body["proposal_uuid"] for body in bodies], field_name="uuid")
        pooled = _lock_pool(profile, {proposal.call_id for proposal in proposals.values()})
        refusals = [_refusal(proposals.get(body["proposal_uuid"]), pooled) for body in bodies]
        saved = [(body, proposals[body["proposal_uuid"]])
                 for body, refusal in zip(bodies, refusals, strict=True) if refusal is None]
        # Every locked bid is changed below: only the proposals of saved bodies are locked.
        rows = {row.proposal_id: row for row in ReviewerBid.objects.select_for_update().filter(
            reviewer=profile, proposal__in=[proposal for _, proposal in saved]).order_by("pk")}
        changed, created, events = list(rows.values()), [], []
        for body, proposal in saved:  # in body order, as the loop of single submits wrote them
            if (row := rows.get(proposal.pk)) is None:
                row, submitted = _placed(profile, proposal, body["bid"], body.get("comment"), actor=user)
                rows[proposal.pk] = row  # a later body for this proposal updates it before the INSERT
                created.append(row)
                events.append(submitted)
            else:
                events.append(_changed(row, actor=user, value=body["bid"], comment=body.get("comment")))
        ReviewerBid.objects.bulk_create(created)
        now = timezone.now()  # bulk_update skips save(), which is what sets the auto `modified`
        for row in changed:
            row.modified = now
        ReviewerBid.objects.bulk_update(changed, ["bid", "comment", "modified"])
        record_many(events)
    return [None if refusal is None else refusal.message for refusal in refusals]


def _submit(profile, proposal_uuid, bid, comment, *, actor) -> ReviewerBid:
    proposal = Proposal.objects.filter(uuid=proposal_uuid).first()
    with transaction.atomic():
        if refusal := _refusal(proposal, _lock_pool(profile, {proposal.call_id} if proposal else ())):
            raise refusal
        existing = ReviewerBid.objects.select_for_update().filter(reviewer=profile, proposal=proposal).first()
        if existing is None:
            created, submitted = _placed(profile, proposal, bid, comment, actor=actor)
            created.save()
            record_many([submitted])
            return created
        return _change(existing, actor=actor, value=bid, comment=comment)


def _lock_pool(profile, call_ids) -> set[int]:
    """Lock the caller's accepted pool entries in these calls and answer their calls. Primary-key
    order (as `assignments.transitions.lock`), so that two bulk submits never cross."""
    return set(CallReviewerPool.objects.select_for_update().filter(
        call_id__in=call_ids, reviewer=profile, invitation_status=CallReviewerPool.Status.ACCEPTED,
    ).order_by("pk").values_list("call_id", flat=True))


def _refusal(proposal, pooled_calls) -> DomainError | None:
    """Why the caller may not bid on `proposal` (None when it was not found), or None if they
    may; `pooled_calls` are the calls whose pool has accepted them (locked, `_lock_pool`)."""
    if proposal is None:
        return FieldError("proposal_uuid", PROPOSAL_NOT_FOUND)
    if proposal.call_id not in pooled_calls:
        return DomainError(NOT_IN_POOL)
    if not proposal.is_open_for_review:
        return DomainError(BIDDING_CLOSED)
    return None


def _placed(profile, proposal, value, comment, *, actor) -> tuple[ReviewerBid, AuditEvent]:
    """A new bid, unsaved, and its unsaved event. `call_id` is set here as save() would: the bulk
    path never saves it."""
    row = ReviewerBid(reviewer=profile, proposal=proposal, call_id=proposal.call_id, bid=value, comment=comment or "")
    return row, event(AuditEventType.REVIEWER_BID_SUBMITTED, row, actor=actor, call=row.call_id, to_state=value)


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
    """Save `_changed` on a locked bid and write its event."""
    changed = _changed(row, actor=actor, value=value, comment=comment)
    row.save()
    record_many([changed])
    return row


def _changed(row, *, actor, value=None, comment=None) -> AuditEvent:
    """Set what was given (None = keep) on a bid, unsaved, and answer the change's unsaved event."""
    previous = row.bid
    if value is not None:
        row.bid = value
    if comment is not None:
        row.comment = comment
    return event(AuditEventType.REVIEWER_BID_UPDATED, row, actor=actor, call=row.call_id, from_state=previous,
                 to_state=row.bid)
