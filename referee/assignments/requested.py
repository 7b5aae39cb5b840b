"""The proposals a request names by uuid (`generate-assignments`, `create-manual-assignment`):
which of them are taken, and which are skipped with the reason the answer gives for each.

Both actions answer a foreign or unknown uuid and a proposal not open for review with the same
reasons, in request order, a repeated uuid once."""

from referee.calls.models import Proposal

NOT_IN_CALL = "Proposal not found in this call"
NOT_OPEN = "Proposal is not open for review"


def skip_row(proposal_uuid, name: str, reason: str, **details) -> dict:
    """One entry of an answer's `skipped_proposals`; `details` are the action's further keys."""
    return {"proposal_uuid": proposal_uuid.hex, "proposal_name": name, "reason": reason, **details}


def named_proposals(call, proposal_uuids) -> tuple[list, dict]:
    """(the uuids once each, in request order; uuid → the call's proposal of the ones found)."""
    keys = list(dict.fromkeys(proposal_uuids))
    return keys, {p.uuid: p for p in Proposal.objects.filter(call=call, uuid__in=keys)}


def take_named(keys, found: dict, skipped: list, *, refusals=(), **details) -> list:
    """The found proposals open for review, in request order; every other key is appended to
    `skipped` with its reason. `refusals` are the action's further (refuses(proposal), reason)
    checks, in order after those two; `details` go into every skipped row."""
    taken = []
    for key in keys:
        proposal = found.get(key)
        reason = refusal_for(proposal, refusals)
        if reason is None:
            taken.append(proposal)
        else:
            skipped.append(skip_row(key, proposal.name if proposal else "", reason, **details))
    return taken


def refusal_for(proposal, refusals=()) -> str | None:
    """Why a named proposal (None: not found in the call) is not taken, or None."""
    if proposal is None:
        return NOT_IN_CALL
    if not proposal.is_open_for_review:
        return NOT_OPEN
    return next((reason for refuses, reason in refusals if refuses(proposal)), None)
