"""What of a proposal a user may read, and why: the one disclosure policy (CONTRACT §3.2, §3.12).

Whether a proposal is listed at all is `Proposal.objects.visible_to`; this module says how much of
it a reader is shown, to the API, the mails and the web pages alike, in two situations:

- `readable_by(user, proposals)`: the proposal itself (`/api/proposal-proposals/`). Staff, support,
  the call's managers, the author, the team and reviewers with an active review read all of it; an
  accepted pool member reads an open proposal as far as the call discloses
  (`invitation_proposal_disclosure`), and only its title while a conflict blocks them from it;
  anyone else nothing.
- `in_invitation(level, item)`: the proposal as a review invitation shows it
  (`/api/my-assignment-batches/`, the invitation and unblock mails): as far as the call discloses,
  the title only while the item is coi_blocked. Accepting does not widen the invitation (§3.2): the
  reviewer then reads the proposal itself in full.
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from referee.assignments.enums import ItemStatus
from referee.calls.enums import Disclosure as Level
from referee.calls.models import Proposal
from referee.calls.querysets import team_proposals
from referee.conflicts.models import ConflictOfInterest
from referee.core.roles import managed_call_ids, managing_no_call
from referee.core.statements import rows_for

# The levels of a disclosure beside the call's three (`Level`).
FULL, BLOCKED, HIDDEN = "full", "blocked", "hidden"


@dataclass(frozen=True)
class ProposalDisclosure:
    """What one reader is shown of one proposal. The title (name, slug, uuid) goes with every level
    but HIDDEN; `full` adds the authors, the team and every other field."""

    level: str  # FULL, a call's `Level`, BLOCKED or HIDDEN
    reason: str  # why, in words: for the reader, support and the audit of a complaint
    summary: bool = False
    description: bool = False
    full: bool = False

    @property
    def visible(self) -> bool:
        return self.level != HIDDEN

    @property
    def blocked(self) -> bool:
        return self.level == BLOCKED

    def summary_of(self, proposal) -> str:
        return proposal.project_summary if self.summary else ""

    def description_of(self, proposal) -> str:
        return proposal.description if self.description else ""


def _full(reason: str) -> ProposalDisclosure:
    return ProposalDisclosure(FULL, reason, summary=True, description=True, full=True)


STAFF = _full("Staff read every proposal in full.")
SUPPORT = _full("Support read every proposal in full.")
MANAGER = _full("The call's managers read its proposals in full.")
AUTHOR = _full("The author reads their proposal in full.")
TEAM = _full("The proposal's team reads it in full.")
REVIEWER = _full("A reviewer with an active review of the proposal reads it in full.")
# Pool reviewers, per the call's level (the label of `Level` says what it discloses).
POOL = {
    level: ProposalDisclosure(
        level, f"The call discloses {level.label.lower()} of its proposals to its pool reviewers.",
        summary=level in (Level.TITLES_AND_SUMMARIES, Level.FULL_DETAILS),
        description=level == Level.FULL_DETAILS,
    )
    for level in Level
}
# An invited reviewer, before answering, is shown the titles of the call's open proposals: enough to
# declare a conflict with one while accepting (§3.6), nothing more until they are in the pool.
INVITEE = ProposalDisclosure(
    Level.TITLES_ONLY, "Until you accept, the call shows you only the titles of its proposals open for review.")
CONFLICT = ProposalDisclosure(BLOCKED, "A conflict of interest blocks this reviewer from the proposal: its title only.")
ANONYMOUS = ProposalDisclosure(HIDDEN, "Proposals are read only after signing in.")
UNRELATED = ProposalDisclosure(
    HIDDEN, "Only staff, support, the call's managers, the proposal's author and team, its reviewers and, "
            "while it is open for review, the call's accepted pool reviewers read a proposal.",
)


def readable_by(user, proposals) -> dict[int, ProposalDisclosure]:
    """The disclosure of each proposal (by pk) to `user`, in at most one query whatever the
    number of proposals (a list page computes it once), none for anonymous, staff and support,
    nor for proposals of the user's managed calls: whether the user reads each other one in full
    (and whether as a team member) or as a pool member, at which level, and whether a conflict
    blocks them (the conditions are `Proposal.objects.with_reading`'s). (The user's managed calls
    are read too, once per request: `core.roles.managed_call_ids`.)"""
    proposals = list(proposals)
    if not getattr(user, "is_authenticated", False):
        return {proposal.pk: ANONYMOUS for proposal in proposals}
    if user.is_staff or getattr(user, "is_support", False):
        return {proposal.pk: STAFF if user.is_staff else SUPPORT for proposal in proposals}
    # A managed call's proposals are read in full as its manager (`fully_visible_to`'s first
    # branch): only the others are looked up, none on a page of the manager's own calls.
    managed = managed_call_ids(user) if proposals else ()
    ids = [proposal.pk for proposal in proposals if proposal.call_id not in managed]
    rows = rows_for(_reading_rows, Proposal, _reading_rows, (ids, user.pk)) if ids else []
    reading = {pk: row for pk, *row in rows}
    return {proposal.pk: _disclosure(user, proposal, managed, reading.get(proposal.pk)) for proposal in proposals}


def _reading_rows(inputs):
    """(pk, read in full, on the team, read as a pool member, the call's level, blocked by a
    conflict) of the proposals `ids` for the user `user_id`, in one statement for both questions:
    as two (the readers in full, then the pool members among the rest), building and compiling
    the second visibility query cost a reviewer's page about 2 ms. The proposals of the user's
    managed calls are never among `ids`, so they are asked as of a user who manages no call: the
    statement is then the same for every user and compiled once (core.statements)."""
    ids, user_id = inputs
    reader = managing_no_call(user_id)
    on_team = Exists(team_proposals(reader).filter(proposal_id=OuterRef("pk")))
    blocking = ConflictOfInterest.objects.blocking().filter(reviewer__user=reader, proposal_id=OuterRef("pk"))
    return (Proposal.objects.filter(pk__any_of=ids).with_reading(reader)
            .annotate(on_team=on_team, blocked=Exists(blocking))
            .values_list("pk", "read_in_full", "on_team", "read_as_pool_member",
                         "call__coi_config__invitation_proposal_disclosure", "blocked"))


def _disclosure(user, proposal, managed, reading) -> ProposalDisclosure:
    if proposal.call_id in managed:
        return MANAGER
    if reading is None:
        return UNRELATED
    in_full, on_team, pool_member, level, blocked = reading
    if in_full:
        if proposal.created_by_id == user.pk:
            return AUTHOR
        # the other ways to read in full (`fully_visible_to`): the team, an active review
        return TEAM if on_team else REVIEWER
    if pool_member:
        return CONFLICT if blocked else POOL[level]
    return UNRELATED


def in_invitation(level: str, item) -> ProposalDisclosure:
    """What an invitation shows of `item`'s proposal (an AssignmentItem), `level` being its call's
    disclosure."""
    return CONFLICT if item.status == ItemStatus.COI_BLOCKED else POOL[level]
