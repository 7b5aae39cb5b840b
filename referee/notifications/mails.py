"""One function per mail of §6: build the context from model instances and queue it.

Called by domain actions inside their transaction, after the state change (so the mail shows the
new state). Each re-reads what it needs with a fixed number of queries, whatever the batch size,
and returns the queued OutboxMessage or None (duplicate dedupe key, or nobody to write to)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, F, Q
from django.utils import timezone

from referee.assignments.models import AssignmentBatch, AssignmentItem
from referee.calls.disclosure import in_invitation
from referee.calls.models import Call
from referee.core.models import User
from referee.core.sign_in_links import (
    FRESH_LINK_LIFETIME,
    issue_sign_in_link,
    lifetime_until,
    target_for_fresh_link,
    user_by_email,
)
from referee.notifications import ics
from referee.notifications.models import OutboxMessage
from referee.notifications.outbox import iso, link, queue_mail, when
from referee.reviewers.models import CallReviewerPool

REVIEWS_PATH = "/reviews/assignments/"
Item = AssignmentItem.Status
Mail = OutboxMessage | None


def manage_path(call: Call, pool_tab: str = "assignment_batches") -> str:
    return f"/call/{call.uuid.hex}/manage/?tab=reviewer-pool" + (f"&pool_tab={pool_tab}" if pool_tab else "")


# --- shared pieces ------------------------------------------------------------------------------

def _batch(batch: AssignmentBatch) -> AssignmentBatch:
    return AssignmentBatch.objects.select_related(
        "call__coi_config", "reviewer_pool_entry__reviewer__user"
    ).get(pk=batch.pk)


def _item(item: AssignmentItem) -> AssignmentItem:
    return AssignmentItem.objects.select_related(
        "proposal", "batch__call__coi_config", "batch__call__assignment_config",
        "batch__reviewer_pool_entry__reviewer__user",
    ).get(pk=item.pk)


def _entry(entry: CallReviewerPool) -> CallReviewerPool:
    return CallReviewerPool.objects.select_related("call", "reviewer__user", "invited_by").get(pk=entry.pk)


def _reviewer(entry: CallReviewerPool) -> dict:
    user = entry.reviewer.user
    return {"name": user.full_name, "email": user.email or entry.invited_email}


def _managers(call: Call) -> list[str]:
    return list(call.managers.order_by("id").values_list("email", flat=True))


def _proposal(item: AssignmentItem, level: str) -> dict:
    """The item's proposal as its invitation shows it (`calls.disclosure.in_invitation`, §3.2)."""
    shown = in_invitation(level, item)
    return {
        "title": item.proposal.name,
        "blocked": shown.blocked,
        "summary": shown.summary_of(item.proposal),
        "description": shown.description_of(item.proposal),
    }


def _deadline_event(batch: AssignmentBatch) -> ics.Event:
    # One UID per batch (not per mail): the reminder and an extension then update the calendar
    # entry of the invitation instead of adding another. SEQUENCE grows with the deadline, which
    # only ever moves later (§4.1 extend-deadline).
    host = urlsplit(settings.SITE_URL).hostname or "referee"
    return ics.Event(
        uid=f"assignment-batch-{batch.uuid.hex}@{host}",
        deadline=batch.expires_at,
        summary=f'Review invitations due: "{batch.call.name}"',
        url=link(REVIEWS_PATH),
        description=f"Respond to your review invitations for \"{batch.call.name}\": {link(REVIEWS_PATH)}",
        sequence=int((batch.expires_at - (batch.sent_at or batch.created)).total_seconds() // 60),
    )


def _sign_in(user: User, target_path: str, deadline) -> dict:
    """The personal one-time link of a mail to `user` about `target_path`, due at `deadline`."""
    expires_at = lifetime_until(deadline)
    return {"sign_in_url": issue_sign_in_link(user, target_path, expires_at), "sign_in_until": when(expires_at)}


def _batch_sign_in(batch: AssignmentBatch) -> dict:
    return _sign_in(batch.reviewer_pool_entry.reviewer.user, REVIEWS_PATH, batch.expires_at)


def _batch_context(batch: AssignmentBatch, **extra) -> dict:
    return {
        "call_name": batch.call.name,
        "reviewer": _reviewer(batch.reviewer_pool_entry),
        "sent_at": when(batch.sent_at),
        "deadline": when(batch.expires_at),
        "reviews_url": link(REVIEWS_PATH),
        **extra,
    }


def _pending_count(batch: AssignmentBatch) -> int:
    return batch.items.filter(status=Item.PENDING).count()


# --- reviewer mails -----------------------------------------------------------------------------

def invitation_for_batch(batch: AssignmentBatch) -> Mail:
    """`reviewer_assignment_invitation`: send, send-all, auto-reassign."""
    batch = _batch(batch)
    level = batch.call.coi_config.invitation_proposal_disclosure
    items = (batch.items.filter(status__in=[Item.PENDING, Item.COI_BLOCKED]).select_related("proposal")
             .order_by(F("affinity_score").desc(nulls_last=True), "proposal__name", "id"))
    proposals = [_proposal(item, level) for item in items]
    pending = [p for p in proposals if not p["blocked"]]
    context = _batch_context(batch, proposals=pending, pending_count=len(pending), manager_notes=batch.manager_notes,
                             blocked=[p for p in proposals if p["blocked"]], **_batch_sign_in(batch))
    return queue_mail("reviewer_assignment_invitation", to=[context["reviewer"]["email"]], context=context,
                      dedupe_key=f"invitation:{batch.uuid.hex}:{iso(batch.sent_at)}", event=_deadline_event(batch))


def reminder_for_batch(batch: AssignmentBatch) -> Mail:
    """`assignment_expiry_reminder`: the reminder job."""
    batch = _batch(batch)
    context = _batch_context(batch, pending_count=_pending_count(batch), **_batch_sign_in(batch))
    return queue_mail("assignment_expiry_reminder", to=[context["reviewer"]["email"]], context=context,
                      dedupe_key=f"reminder:{batch.uuid.hex}:{iso(batch.expires_at)}", event=_deadline_event(batch))


def batch_cancelled(batch: AssignmentBatch) -> Mail:
    """`assignment_batch_cancelled`: cancel of a sent batch (its open items are expired by then)."""
    batch = _batch(batch)
    items = batch.items.filter(status__in=[Item.EXPIRED, Item.ACCEPTED]).select_related("proposal")
    items = items.order_by("proposal__name", "id")
    context = _batch_context(
        batch,
        withdrawn=[i.proposal.name for i in items if i.status == Item.EXPIRED],
        kept=[i.proposal.name for i in items if i.status == Item.ACCEPTED],
    )
    return queue_mail("assignment_batch_cancelled", to=[context["reviewer"]["email"]], context=context,
                      dedupe_key=f"cancelled:{batch.uuid.hex}")


def deadline_extended(batch: AssignmentBatch, previous_expires_at=None) -> Mail:
    """`assignment_deadline_extended`: extend-deadline; `previous_expires_at` is the old deadline."""
    batch = _batch(batch)
    context = _batch_context(batch, pending_count=_pending_count(batch), previous_deadline=when(previous_expires_at),
                             **_batch_sign_in(batch))
    return queue_mail("assignment_deadline_extended", to=[context["reviewer"]["email"]], context=context,
                      dedupe_key=f"extended:{batch.uuid.hex}:{iso(batch.expires_at)}", event=_deadline_event(batch))


def item_unblocked(item: AssignmentItem, at=None) -> Mail:
    """`assignment_item_unblocked`: an item of a sent batch went from coi_blocked back to pending.
    `at` (default now) tells unblocks of the same item apart."""
    item = _item(item)
    batch = item.batch
    context = _batch_context(batch, proposal=_proposal(item, batch.call.coi_config.invitation_proposal_disclosure))
    return queue_mail("assignment_item_unblocked", to=[context["reviewer"]["email"]], context=context,
                      dedupe_key=f"unblocked:{item.uuid.hex}:{iso(at or timezone.now())}")


def pool_invitation(entry: CallReviewerPool) -> Mail:
    """`reviewer_invitation`: pool POST and resend-invitation (a new token each time)."""
    entry = _entry(entry)
    invitation_path = f"/reviewer-invitation/{entry.invitation_token}/"
    context = {
        "call_name": entry.call.name,
        "reviewer": _reviewer(entry),
        "inviter_name": entry.invited_by.full_name if entry.invited_by else "",
        "message": entry.invitation_message,
        "max_assignments": entry.max_assignments,
        "expires_at": when(entry.invitation_expires_at),
        "invitation_url": link(invitation_path),
        **_sign_in(entry.reviewer.user, invitation_path, entry.invitation_expires_at),
    }
    return queue_mail("reviewer_invitation", to=[context["reviewer"]["email"]], context=context,
                      dedupe_key=f"pool-invitation:{entry.uuid.hex}:{entry.invitation_token}")


def fresh_sign_in_link(email: str, old_token: str = "") -> Mail:
    """`sign_in_link`: a new link asked for on the page of a used or expired one (`old_token`),
    landing where that one did. Nothing when no one active user has the address `email`."""
    user = user_by_email(email)
    if user is None:
        return None
    target_path = target_for_fresh_link(user, old_token)
    expires_at = timezone.now() + FRESH_LINK_LIFETIME
    context = {"name": user.full_name, "sign_in_url": issue_sign_in_link(user, target_path, expires_at),
               "sign_in_until": when(expires_at), "target_url": link(target_path)}
    return queue_mail("sign_in_link", to=[user.email], context=context,
                      dedupe_key=f"sign-in-link:{user.uuid.hex}:{iso(timezone.now())}")


# --- manager mails ------------------------------------------------------------------------------

def batch_expired_notice(batch: AssignmentBatch) -> Mail:
    """`assignment_batch_expired`: the notice job, to all call managers (none: nothing queued)."""
    batch = _batch(batch)
    counts = batch.items.aggregate(total=Count("id"), expired=Count("id", filter=Q(status=Item.EXPIRED)))
    context = _batch_context(batch, item_count=counts["total"], expired_count=counts["expired"],
                             manage_url=link(manage_path(batch.call)))
    return queue_mail("assignment_batch_expired", to=_managers(batch.call), context=context,
                      dedupe_key=f"expired:{batch.uuid.hex}:{iso(batch.expires_at)}")


def decline_notice(item: AssignmentItem, reassigned_to: CallReviewerPool | None = None) -> Mail:
    """`assignment_declined`: each decline; `reassigned_to` is the pool entry auto-reassign chose."""
    item = _item(item)
    call, config = item.batch.call, item.batch.call.assignment_config
    if reassigned_to is not None:
        outcome = f"The proposal was automatically reassigned to {_entry(reassigned_to).reviewer.user.full_name}."
    elif not config.auto_reassign_on_decline:
        outcome = "Automatic reassignment is off for this call; please choose another reviewer."
    elif item.reassign_count >= config.max_auto_reassign_attempts:
        outcome = (f"The limit of {config.max_auto_reassign_attempts} automatic reassignments was reached; "
                   "please choose another reviewer.")
    else:
        outcome = "No eligible reviewer with spare capacity was found; please choose another reviewer."
    context = {
        "call_name": call.name,
        "reviewer": _reviewer(item.batch.reviewer_pool_entry),
        "proposal_title": item.proposal.name,
        "reason": item.decline_reason,
        "declined_at": when(item.responded_at),
        "outcome": outcome,
        "reassigned": reassigned_to is not None,
        "manage_url": link(manage_path(call)),
    }
    return queue_mail("assignment_declined", to=_managers(call), context=context,
                      dedupe_key=f"decline:{item.uuid.hex}")


def pool_invitation_expired(entry: CallReviewerPool) -> Mail:
    """`reviewer_pool_invitation_expired`: the pool expiry job, to the inviter, else the managers."""
    entry = _entry(entry)
    to = [entry.invited_by.email] if entry.invited_by and entry.invited_by.email else _managers(entry.call)
    context = {
        "call_name": entry.call.name,
        "reviewer": _reviewer(entry),
        "invited_at": when(entry.invited_at),
        "expires_at": when(entry.invitation_expires_at),
        "manage_url": link(manage_path(entry.call, pool_tab="")),
    }
    return queue_mail("reviewer_pool_invitation_expired", to=to, context=context,
                      dedupe_key=f"pool-expired:{entry.uuid.hex}:{iso(entry.invitation_expires_at)}")
