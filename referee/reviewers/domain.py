"""Business actions on reviewer profiles and call pools (§3.6, §3.10, §4.3).

Each action is one transaction that locks the rows it changes (§7 order: call configuration →
pool entry → COI), re-checks its guards after locking, records an AuditEvent and refuses with
DomainError/FieldError. Invitation mail (§6) is queued inside the same transaction."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from referee.calls.models import CallAssignmentConfiguration, Proposal
from referee.conflicts.models import ConflictOfInterest
from referee.conflicts.rules import rule_for
from referee.core import audit
from referee.core.enums import AuditEventType
from referee.core.errors import DomainError, FieldError
from referee.notifications import mails
from referee.reviewers.models import (
    MAX_ASSIGNMENTS_DEFAULT,
    CallReviewerPool,
    ReviewerAffiliation,
    ReviewerExpertise,
    ReviewerProfile,
    ReviewerPublication,
    new_invitation_token,
)

Status = CallReviewerPool.Status

ORCID_TAKEN = "A reviewer profile with this ORCID already exists."
KEYWORD_TAKEN = "This expertise keyword is already in your profile."
END_BEFORE_START = "End date cannot be before start date."
NO_PROFILE = "You must create a reviewer profile first."


class InvitationRefusal(DomainError):
    """A refused pool accept: the client parses `error` and `message` besides `detail` (§1)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


ALREADY_RESPONDED = ("already_responded", "This invitation has already been responded to.")
EXPIRED = ("invitation_expired", "This invitation has expired.")
INVALID_CONFLICT = ("invalid_conflict", "Proposal not found in this call.")


# --- profiles ---------------------------------------------------------------------------------

def _locked(model, pk):
    """The row, locked; a row deleted meanwhile is "not found" (404), never a 500."""
    obj = model.objects.select_for_update().filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def _save(obj, **constraint_fields):
    """Save in a savepoint; a constraint violation (a race past the serializer's checks) becomes
    the field error of `constraint_fields` = {field: message}, never a 500."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        field, message = next(iter(constraint_fields.items()))
        raise FieldError(field, message) from None


def _assign(obj, data) -> dict:
    changed = {key: value for key, value in data.items() if getattr(obj, key) != value}
    for key, value in changed.items():
        setattr(obj, key, value)
    return changed


@transaction.atomic
def save_own_profile(user, data) -> ReviewerProfile:
    """`POST me/`: create the caller's profile, or partially update the existing one."""
    profile = ReviewerProfile.objects.select_for_update().filter(user=user).first()
    if profile is not None:
        return _update_profile(profile, data, actor=user)
    profile = ReviewerProfile(user=user, **data)
    try:
        with transaction.atomic():
            profile.save()
    except IntegrityError:
        # Either a concurrent `POST me/` created the profile (then update it) or the ORCID is taken.
        profile = ReviewerProfile.objects.select_for_update().filter(user=user).first()
        if profile is None:
            raise FieldError("orcid_id", ORCID_TAKEN) from None
        return _update_profile(profile, data, actor=user)
    audit.record(AuditEventType.REVIEWER_PROFILE_CREATED, profile, actor=user)
    return profile


@transaction.atomic
def update_profile(profile, data, *, actor) -> ReviewerProfile:
    return _update_profile(_locked(ReviewerProfile, profile.pk), data, actor=actor)


def _update_profile(profile, data, *, actor):
    changed = _assign(profile, data)
    if changed:
        _save(profile, orcid_id=ORCID_TAKEN)
        audit.record(AuditEventType.REVIEWER_PROFILE_UPDATED, profile, actor=actor, fields=sorted(changed))
    return profile


@transaction.atomic
def set_published(user, published: bool) -> ReviewerProfile:
    profile = ReviewerProfile.objects.select_for_update().filter(user=user).first()
    if profile is None:
        raise DomainError(NO_PROFILE)
    if profile.is_published != published:
        profile.is_published = published
        profile.published_at = timezone.now() if published else None
        profile.save(update_fields=["is_published", "published_at", "modified"])
        event = AuditEventType.REVIEWER_PROFILE_PUBLISHED if published else AuditEventType.REVIEWER_PROFILE_UNPUBLISHED
        audit.record(event, profile, actor=user)
    return profile


@transaction.atomic
def delete_profile(profile, *, actor) -> None:
    profile = _locked(ReviewerProfile, profile.pk)
    audit.record(AuditEventType.REVIEWER_PROFILE_DELETED, profile, actor=actor, user=profile.user.uuid.hex)
    profile.delete()


# Affiliations, expertise and publications: their events (created, updated, deleted), the
# constraint each can violate and its refusal.
E = AuditEventType
PROFILE_ITEMS = {
    ReviewerAffiliation: ((E.REVIEWER_AFFILIATION_CREATED, E.REVIEWER_AFFILIATION_UPDATED,
                           E.REVIEWER_AFFILIATION_DELETED), {"end_date": END_BEFORE_START}),
    ReviewerExpertise: ((E.REVIEWER_EXPERTISE_CREATED, E.REVIEWER_EXPERTISE_UPDATED, E.REVIEWER_EXPERTISE_DELETED),
                        {"expertise_keyword": KEYWORD_TAKEN}),
    ReviewerPublication: ((E.REVIEWER_PUBLICATION_CREATED, E.REVIEWER_PUBLICATION_UPDATED,
                           E.REVIEWER_PUBLICATION_DELETED), {"non_field_errors": "Invalid publication."}),
}


@transaction.atomic
def create_profile_item(profile, model, data, *, actor):
    # Locking the profile serialises writes to its nested rows (e.g. two equal keywords at once).
    _locked(ReviewerProfile, profile.pk)
    (created, _, _), constraint = PROFILE_ITEMS[model]
    obj = model(profile=profile, **data)
    _save(obj, **constraint)
    audit.record(created, obj, actor=actor, profile=profile.uuid.hex)
    return obj


@transaction.atomic
def update_profile_item(obj, data, *, actor):
    _locked(ReviewerProfile, obj.profile_id)
    obj = _locked(type(obj), obj.pk)
    (_, updated, _), constraint = PROFILE_ITEMS[type(obj)]
    changed = _assign(obj, data)
    if changed:
        _save(obj, **constraint)
        audit.record(updated, obj, actor=actor, fields=sorted(changed))
    return obj


@transaction.atomic
def delete_profile_item(obj, *, actor) -> None:
    profile = _locked(ReviewerProfile, obj.profile_id)
    obj = _locked(type(obj), obj.pk)
    (_, _, deleted), _ = PROFILE_ITEMS[type(obj)]
    audit.record(deleted, obj, actor=actor)
    obj.delete()
    # A deleted row leaves no `modified` behind: the profile's own tells the affinity cache
    # that what it was computed from has changed.
    profile.save(update_fields=["modified"])


# --- pool -------------------------------------------------------------------------------------

def _lock_entry(entry) -> CallReviewerPool:
    return _locked(CallReviewerPool, entry.pk)


def _record(event, entry, actor, from_state, **context):
    audit.record(event, entry, actor=actor, call=entry.call, from_state=from_state,
                 to_state=entry.invitation_status, **context)


@transaction.atomic
def invite_reviewers(call, *, actor, reviewer_uuids, max_assignments=MAX_ASSIGNMENTS_DEFAULT,
                     invitation_message="") -> list:
    """Add the profiles to the call's pool as pending invitations; unknown profiles and existing
    members are skipped. Returns the new entries in request order."""
    # The call's assignment configuration comes first in the lock order and serialises invitations
    # to one call, so the membership check below cannot race another invitation.
    config = CallAssignmentConfiguration.objects.select_for_update().get(call=call)
    members = set(CallReviewerPool.objects.filter(call=call).values_list("reviewer_id", flat=True))
    profiles = {p.uuid: p for p in ReviewerProfile.objects.filter(uuid__in=reviewer_uuids).select_related("user")}
    now = timezone.now()
    expires_at = now + timedelta(days=config.assignment_expiration_days)
    entries, seen = [], set()
    for key in reviewer_uuids:
        profile = profiles.get(key)
        if profile is None or profile.pk in members or profile.pk in seen:
            continue
        seen.add(profile.pk)
        entries.append(CallReviewerPool(
            call=call, reviewer=profile, invited_email=profile.user.email, invited_by=actor, invited_at=now,
            invitation_status=Status.PENDING, invitation_expires_at=expires_at,
            max_assignments=max_assignments, invitation_message=invitation_message,
        ))
    CallReviewerPool.objects.bulk_create(entries)
    for entry in entries:
        _record(AuditEventType.POOL_INVITATION_SENT, entry, actor, "", reviewer=entry.reviewer.uuid.hex)
        mails.pool_invitation(entry)
    return entries


NO_PROFILE_WITH_EMAIL = ("No reviewer profile belongs to this e-mail address: its owner must first sign in and "
                         "create one (My profile).")
ALREADY_IN_POOL = "This reviewer is already in the call's pool."


@transaction.atomic
def invite_by_email(call, *, actor, email: str, max_assignments=MAX_ASSIGNMENTS_DEFAULT,
                    invitation_message="") -> CallReviewerPool:
    """Invite the profile of the user with this address (case-insensitive; the oldest account if
    two share it), through `invite_reviewers`: a pool entry is always a profile's (§2)."""
    profile = ReviewerProfile.objects.filter(user__email__iexact=email.strip()).order_by("user_id").first()
    if profile is None:
        raise FieldError("email", NO_PROFILE_WITH_EMAIL)
    entries = invite_reviewers(call, actor=actor, reviewer_uuids=[profile.uuid], max_assignments=max_assignments,
                               invitation_message=invitation_message)
    if not entries:
        raise FieldError("email", ALREADY_IN_POOL)
    return entries[0]


def _check_open(entry) -> None:
    """Guards shared by accept and decline: only a pending, unexpired invitation can be answered."""
    if entry.invitation_status in (Status.ACCEPTED, Status.DECLINED):
        raise InvitationRefusal(*ALREADY_RESPONDED)
    expired = entry.invitation_expires_at is not None and entry.invitation_expires_at <= timezone.now()
    if entry.invitation_status == Status.EXPIRED or expired:
        raise InvitationRefusal(*EXPIRED)


def why_closed(entry) -> str | None:
    """Why the invitation can no longer be answered, in the words accept and decline refuse with
    (already responded, expired), or None while it is open: what a page shows instead of the forms."""
    try:
        _check_open(entry)
    except InvitationRefusal as refusal:
        return refusal.message
    return None


@transaction.atomic
def accept_invitation(entry, *, actor, declarations) -> list:
    """The reviewer accepts, declaring conflicts `[{proposal_uuid, coi_type, severity, description}]`.
    Returns the uuids of the COI records of the declarations (created, or already recorded)."""
    # Validation before state guards (§1): every declared proposal must belong to the call.
    proposals = {p.uuid: p for p in Proposal.objects.filter(
        call_id=entry.call_id, uuid__in=[d["proposal_uuid"] for d in declarations])}
    if any(d["proposal_uuid"] not in proposals for d in declarations):
        raise InvitationRefusal(*INVALID_CONFLICT)
    config = entry.call.coi_config
    entry = _lock_entry(entry)
    _check_open(entry)
    entry.invitation_status = Status.ACCEPTED
    entry.response_date = timezone.now()
    entry.save(update_fields=["invitation_status", "response_date", "modified"])
    _record(AuditEventType.POOL_INVITATION_ACCEPTED, entry, actor, Status.PENDING, declared_conflicts=len(declarations))
    # A pending entry never had assignment items (only accepted entries get them), so a blocking
    # declaration has no pending item to block (§4.4).
    declared = []
    for declaration in declarations:
        coi = _declare_conflict(entry, config, proposals[declaration["proposal_uuid"]], declaration, actor)
        if coi.uuid not in declared:
            declared.append(coi.uuid)
    return declared


def _declare_conflict(entry, config, proposal, declaration, actor):
    """One self-disclosed pending COI per (reviewer, proposal, type); an existing record of the
    pair and type (detected earlier, whatever its status) is kept as it is, never recreated (§5.7)."""
    key = {"reviewer_id": entry.reviewer_id, "proposal": proposal, "coi_type": declaration["coi_type"],
           "conflicting_user": None}
    existing = ConflictOfInterest.objects.filter(**key).first()
    if existing is not None:
        return existing
    coi = ConflictOfInterest(
        **key, call_id=entry.call_id, severity=declaration["severity"],
        detection_method=ConflictOfInterest.Method.SELF_DISCLOSED,
        evidence_description=declaration["description"],
        rule=rule_for(config, declaration["coi_type"], declaration["severity"]),
    )
    try:
        with transaction.atomic():
            coi.save()
    except IntegrityError:  # detection inserted the same conflict meanwhile
        return ConflictOfInterest.objects.get(**key)
    audit.record(AuditEventType.COI_SELF_DECLARED, coi, actor=actor, call=entry.call, to_state=coi.status)
    return coi


@transaction.atomic
def decline_invitation(entry, *, actor, reason: str) -> CallReviewerPool:
    entry = _lock_entry(entry)
    try:
        _check_open(entry)
    except InvitationRefusal as refusal:
        raise DomainError(refusal.message) from None
    entry.invitation_status = Status.DECLINED
    entry.response_date = timezone.now()
    entry.decline_reason = reason
    entry.save(update_fields=["invitation_status", "response_date", "decline_reason", "modified"])
    _record(AuditEventType.POOL_INVITATION_DECLINED, entry, actor, Status.PENDING, message=reason)
    return entry


@transaction.atomic
def force_accept(entry, *, actor, reason: str) -> CallReviewerPool:
    """The manager's override of the reviewer's consent (pending/declined/expired → accepted)."""
    entry = _lock_entry(entry)
    if entry.invitation_status == Status.ACCEPTED:
        raise DomainError("This invitation is already accepted.")
    before = entry.invitation_status
    now = timezone.now()
    entry.invitation_status = Status.ACCEPTED
    entry.response_date = now
    entry.override_reason = reason
    entry.overridden_by = actor
    entry.overridden_at = now
    entry.save(update_fields=["invitation_status", "response_date", "override_reason", "overridden_by",
                              "overridden_at", "modified"])
    _record(AuditEventType.POOL_INVITATION_FORCE_ACCEPTED, entry, actor, before, message=reason)
    return entry


RESENDABLE = (Status.PENDING, Status.EXPIRED)  # the statuses whose invitation can be sent again


@transaction.atomic
def resend_invitation(entry, *, actor) -> CallReviewerPool:
    """pending/expired → pending with a new token and a fresh expiry (the old link stops working)."""
    days = CallAssignmentConfiguration.objects.values_list("assignment_expiration_days", flat=True).get(
        call_id=entry.call_id)
    entry = _lock_entry(entry)
    if entry.invitation_status not in RESENDABLE:
        raise DomainError("Only pending or expired invitations can be resent.")
    before = entry.invitation_status
    entry.invitation_status = Status.PENDING
    entry.invitation_token = new_invitation_token()
    entry.invitation_expires_at = timezone.now() + timedelta(days=days)
    entry.expiry_notified = False
    entry.save(update_fields=["invitation_status", "invitation_token", "invitation_expires_at",
                              "expiry_notified", "modified"])
    _record(AuditEventType.POOL_INVITATION_RESENT, entry, actor, before)
    mails.pool_invitation(entry)
    return entry


@transaction.atomic
def update_max_assignments(entry, *, actor, max_assignments: int) -> CallReviewerPool:
    """May go below the current load (§3.6): it only limits new assignments."""
    entry = _lock_entry(entry)
    before = entry.max_assignments
    if before != max_assignments:
        entry.max_assignments = max_assignments
        entry.save(update_fields=["max_assignments", "modified"])
        _record(AuditEventType.POOL_MAX_ASSIGNMENTS_CHANGED, entry, actor, entry.invitation_status,
                previous=before, max_assignments=max_assignments)
    return entry
