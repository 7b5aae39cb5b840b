"""A generation's preview and its deployment (issue 10): the previewed pairs become items
exactly, or nothing happens.

A dry run stores, beside its ProposedAssignment rows, what it was asked, its report and the
digests of every input of its solve (`candidates.fingerprint`). Deploying reads every input again
under the generation locks: the same problem means the solver would choose the same pairs now,
so the preview's rows are deployed as they are; any other problem is a refusal naming what
changed. A deployment never solves again, so it can never create pairs nobody previewed."""

from django.utils import timezone

from referee.assignments.candidates import INPUTS
from referee.assignments.models import GenerationPreview
from referee.core.errors import DomainError, FieldError

CHANGE_NAMES = {
    "configuration": "the matching configuration",
    "proposals": "the proposals open for review",
    "pool": "the reviewer pool (who accepted, availability, assignment limits)",
    "affinities": "the affinity scores (a proposal or a reviewer profile was edited)",
    "teams": "the proposal teams",
    "conflicts": "the blocking conflicts of interest",
    "bids": "the reviewers' bids",
    "assignments": "the call's assignments and open reviews",
}
NOT_CURRENT = ("This is not the call's current preview: a later generation or preview replaced it. "
               "Run a new preview (dry_run) and deploy that.")
ALREADY_DEPLOYED = "This preview was already deployed on {when:%Y-%m-%d %H:%M} UTC."


def store(call, *, user, fingerprint: dict, report: dict, proposal_uuids, reviewers_per_proposal) -> GenerationPreview:
    """Replace the call's preview (the caller holds the call's MatchingConfiguration lock)."""
    discard(call)
    return GenerationPreview.objects.create(
        call=call, created_by=user if getattr(user, "is_authenticated", False) else None,
        proposal_uuids=None if proposal_uuids is None else [key.hex for key in proposal_uuids],
        reviewers_per_proposal=reviewers_per_proposal, fingerprint=fingerprint, report=report,
    )


def discard(call) -> None:
    GenerationPreview.objects.filter(call=call).delete()


def find(call, preview_uuid) -> GenerationPreview:
    """The call's preview `preview_uuid`, not yet deployed (the caller holds the call's lock)."""
    preview = GenerationPreview.objects.filter(call=call, uuid=preview_uuid).first()
    if preview is None:
        raise FieldError("preview_uuid", NOT_CURRENT)
    if preview.deployed_at is not None:
        raise FieldError("preview_uuid", ALREADY_DEPLOYED.format(when=preview.deployed_at))
    return preview


def check_unchanged(preview: GenerationPreview, fingerprint: dict) -> None:
    """Refuse unless the solve would see the problem the preview saw."""
    if preview.fingerprint.get("problem") == fingerprint["problem"]:
        return
    changed = [name for name in INPUTS if preview.fingerprint.get(name) != fingerprint[name]]
    if "proposals" in changed or "pool" in changed:
        changed = [name for name in changed if name != "affinities"]  # new rows or columns of scores, not edits
    changed = [CHANGE_NAMES[name] for name in changed]
    what = _and(changed) if changed else "the call's data"
    raise DomainError(
        f"The preview is out of date: {what} changed since it was made, so its assignments may no longer be "
        f"the best or even allowed. Nothing was deployed; run a new preview (dry_run) and deploy that."
    )


def mark_deployed(preview: GenerationPreview, user) -> None:
    preview.deployed_at = timezone.now()
    preview.deployed_by = user if getattr(user, "is_authenticated", False) else None
    preview.save(update_fields=["deployed_at", "deployed_by", "modified"])


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
