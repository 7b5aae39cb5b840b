"""Business actions on calls, their configurations, rounds and proposals.

Each action is one transaction: it locks the row it changes, re-checks what depends on the
stored state (merged-state rules of §2 are checked here, after locking, so two concurrent
PATCHes cannot together produce an invalid configuration) and writes an AuditEvent."""

import datetime
import uuid as uuid_lib

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from referee.calls.models import (
    COI_TYPE_CODES,
    Call,
    CallAssignmentConfiguration,
    CallCOIConfiguration,
    MatchingConfiguration,
    Proposal,
    Round,
)
from referee.core import audit
from referee.core.enums import AuditEventType
from referee.core.errors import DomainError, FieldError
from referee.core.roles import is_manager_of

NON_FIELD = "non_field_errors"
COI_RULE_FIELDS = ("recusal_required_types", "management_allowed_types", "disclosure_only_types")
SLUG_MAX = 255


def _jsonable(changes: dict) -> dict:
    """Audit context must be JSON: datetimes as ISO text, models as their uuid."""
    out = {}
    for key, value in changes.items():
        if isinstance(value, datetime.datetime | datetime.date):
            value = value.isoformat()
        elif hasattr(value, "uuid"):
            value = value.uuid.hex
        elif isinstance(value, uuid_lib.UUID):
            value = value.hex
        out[key] = value
    return out


def _apply(obj, changes: dict) -> None:
    for key, value in changes.items():
        setattr(obj, key, value)


# --- calls -------------------------------------------------------------------------------------


def _unique_call_slug(name: str) -> str:
    base = (slugify(name) or "call")[: SLUG_MAX - 12]
    slug, n = base, 1
    while Call.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_call(*, managers=(), actor=None, **fields) -> Call:
    """A call always comes with its three configurations (§2). `actor` is given for API
    creations, which are audited; fixtures and the admin create calls without one."""
    if not fields.get("slug"):
        fields["slug"] = _unique_call_slug(fields.get("name", ""))
    try:
        with transaction.atomic():
            call = Call.objects.create(**fields)
            if managers:
                call.managers.set(managers)
            CallAssignmentConfiguration.objects.create(call=call)
            CallCOIConfiguration.objects.create(call=call)
            MatchingConfiguration.objects.create(call=call)
            if actor is not None:
                audit.record(AuditEventType.CALL_CREATED, call, actor=actor, call=call, to_state=call.state)
    except IntegrityError:
        # Only the slug is unique; a concurrent creation took it between the check and the insert.
        raise FieldError("slug", "A call with this slug already exists.") from None
    return call


@transaction.atomic
def update_call(call: Call, *, actor, changes: dict, managers=None) -> Call:
    call = Call.objects.select_for_update().get(pk=call.pk)
    from_state = call.state
    _apply(call, changes)
    try:
        with transaction.atomic():
            call.save()
    except IntegrityError:
        raise FieldError("slug", "A call with this slug already exists.") from None
    if managers is not None:
        call.managers.set(managers)
        changes = {**changes, "managers": [user.uuid.hex for user in managers]}
    if call.state != from_state:
        audit.record(AuditEventType.CALL_STATE_CHANGED, call, actor=actor, call=call, from_state=from_state, to_state=call.state)
    if changes:
        audit.record(AuditEventType.CALL_UPDATED, call, actor=actor, call=call, changes=_jsonable(changes))
    return call


# --- configurations ----------------------------------------------------------------------------


def _update_configuration(model, config_pk: int, event_type: str, *, actor, changes: dict, check):
    """Lock the configuration (first in the §7 order), merge, validate the merged state, save."""
    config = model.objects.select_for_update().select_related("call").get(pk=config_pk)
    _apply(config, changes)
    config.full_clean(exclude=["call"], validate_unique=False)
    check(config)
    config.save()
    if changes:
        audit.record(event_type, config, actor=actor, call=config.call, changes=_jsonable(changes))
    return config


def _check_assignment(config: CallAssignmentConfiguration) -> None:
    # 0 means "no reminder" and is always below the (≥ 1) expiration, so one comparison covers both.
    if config.send_reminder_before_expiry_days >= config.assignment_expiration_days:
        raise FieldError(
            "send_reminder_before_expiry_days",
            "Reminder must be sent fewer days before expiry than assignment_expiration_days "
            f"({config.assignment_expiration_days}).",
        )


def _check_matching(config: MatchingConfiguration) -> None:
    if config.min_reviewers_per_proposal > config.max_reviewers_per_proposal:
        raise FieldError(NON_FIELD, "min_reviewers_per_proposal cannot exceed max_reviewers_per_proposal.")
    if config.min_proposals_per_reviewer > config.max_proposals_per_reviewer:
        raise FieldError(NON_FIELD, "min_proposals_per_reviewer cannot exceed max_proposals_per_reviewer.")
    if config.affinity_method == MatchingConfiguration.Method.COMBINED:
        if abs(config.keyword_weight + config.text_weight - 1) > 0.001:
            raise FieldError(
                NON_FIELD, "With the combined affinity method, keyword_weight and text_weight must sum to 1."
            )


def coi_overlap_message(config) -> str | None:
    """The §3.5 message for the first COI type listed under more than one rule, else None."""
    for code in COI_TYPE_CODES:
        fields = [field for field in COI_RULE_FIELDS if code in getattr(config, field)]
        if len(fields) > 1:
            return (
                "Each conflict type may only be assigned to one rule. Remove it from all but one of "
                f"these: {code} ({', '.join(fields)})."
            )
    return None


def _check_coi(config: CallCOIConfiguration) -> None:
    message = coi_overlap_message(config)
    if message:
        raise FieldError(NON_FIELD, message)


@transaction.atomic
def update_assignment_configuration(config, *, actor, changes: dict) -> CallAssignmentConfiguration:
    return _update_configuration(
        CallAssignmentConfiguration, config.pk, AuditEventType.ASSIGNMENT_CONFIGURATION_UPDATED,
        actor=actor, changes=changes, check=_check_assignment,
    )


@transaction.atomic
def update_matching_configuration(call: Call, *, actor, changes: dict) -> MatchingConfiguration:
    return _update_configuration(
        MatchingConfiguration, call.matching_config.pk, AuditEventType.MATCHING_CONFIGURATION_UPDATED,
        actor=actor, changes=changes, check=_check_matching,
    )


@transaction.atomic
def update_coi_configuration(call: Call, *, actor, changes: dict) -> CallCOIConfiguration:
    config = _update_configuration(
        CallCOIConfiguration, call.coi_config.pk, AuditEventType.COI_CONFIGURATION_UPDATED,
        actor=actor, changes=changes, check=_check_coi,
    )
    # Stored rules follow the configuration in the same transaction, so "blocking" never lags (§5.8).
    config.call.conflicts.reapply_rules(config)
    return config


# --- rounds ------------------------------------------------------------------------------------


def _check_round_times(round_: Round, changed: dict) -> None:
    if round_.start_time >= round_.cutoff_time:
        field = "cutoff_time" if "cutoff_time" in changed else "start_time"
        raise FieldError(field, "Cutoff time must be later than start time.")


def _round_slug(name: str) -> str:
    """A round always has a slug (the schema promises a slug's pattern): its name's, else "round"."""
    return (slugify(name or "") or "round")[:SLUG_MAX]


@transaction.atomic
def create_round(call: Call, *, actor, **fields) -> Round:
    if not fields.get("slug"):
        fields["slug"] = _round_slug(fields.get("name"))
    round_ = Round(call=call, **fields)
    _check_round_times(round_, fields)
    round_.save()
    audit.record(AuditEventType.ROUND_CREATED, round_, actor=actor, call=call, fields=_jsonable(fields))
    return round_


@transaction.atomic
def update_round(round_: Round, *, actor, changes: dict) -> Round:
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    _apply(round_, changes)
    if not round_.slug:  # a blank slug sent: made from the (new) name, as at creation
        round_.slug = changes["slug"] = _round_slug(round_.name)
    _check_round_times(round_, changes)
    round_.save()
    audit.record(AuditEventType.ROUND_UPDATED, round_, actor=actor, call=round_.call, changes=_jsonable(changes))
    return round_


# --- proposals ---------------------------------------------------------------------------------


def _team_with_creator(creator, team) -> list:
    members = {user.pk: user for user in team or ()}
    if creator is not None:
        members.setdefault(creator.pk, creator)
    return list(members.values())


@transaction.atomic
def create_proposal(*, actor, round: Round, name: str, team=(), **fields) -> Proposal:
    """Any user may propose in a round of an active call (checked by the caller's validation);
    the creator is always on the team."""
    proposal = Proposal(round=round, name=name, created_by=actor, state=Proposal.State.DRAFT, **fields)
    proposal.slug = (slugify(name) or "proposal")[: SLUG_MAX - 9] + "-" + proposal.uuid.hex[:8]
    proposal.save()
    proposal.team.set(_team_with_creator(actor, team))
    audit.record(AuditEventType.PROPOSAL_CREATED, proposal, actor=actor, to_state=proposal.state)
    return proposal


@transaction.atomic
def update_proposal(proposal: Proposal, *, actor, changes: dict, team=None) -> Proposal:
    """Managers change anything, `state` included; the creator only a draft, never its state."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if not is_manager_of(actor, proposal.call_id):
        if "state" in changes:
            raise FieldError("state", "Only call managers can change the state of a proposal.")
        if proposal.state != Proposal.State.DRAFT:
            raise DomainError("Only draft proposals can be changed.")
    from_state = proposal.state
    _apply(proposal, changes)
    proposal.save()
    if team is not None:
        proposal.team.set(_team_with_creator(proposal.created_by, team))
        changes = {**changes, "team": [user.uuid.hex for user in team]}
    if proposal.state != from_state:
        audit.record(
            AuditEventType.PROPOSAL_STATE_CHANGED, proposal, actor=actor, from_state=from_state, to_state=proposal.state
        )
    if changes:
        audit.record(AuditEventType.PROPOSAL_UPDATED, proposal, actor=actor, changes=_jsonable(changes))
    return proposal


@transaction.atomic
def submit_proposal(proposal: Proposal, *, actor) -> Proposal:
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.state != Proposal.State.DRAFT:
        raise DomainError("Only draft proposals can be submitted.")
    proposal.state = Proposal.State.SUBMITTED
    proposal.save(update_fields=["state", "modified"])
    audit.record(AuditEventType.PROPOSAL_SUBMITTED, proposal, actor=actor, from_state=Proposal.State.DRAFT,
                 to_state=proposal.state)
    return proposal
