"""Manual assignments from a CSV file (HotCRP-style bulk edit; issue 13): one row per
(proposal, reviewer) pair to assign, checked with the rules of `create-manual-assignment`, then
applied all or nothing.

`import_assignments` is the one entry point of the pages and the API. A dry run reads and checks
every row and writes nothing; an apply takes the lock manual assignment takes first (the call's
MatchingConfiguration), checks every row again under it (a preview can go stale), refuses the
whole file if any row is refused, and otherwise creates each reviewer's items through
`create_manual_assignment` itself, in one transaction with one ASSIGNMENTS_IMPORTED event.

The columns are those of the assignments export (`csv_export`), so an exported file can be edited
and imported: `proposal_uuid` and `reviewer_email` are read, every other column is ignored."""

import csv
import io
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models.functions import Lower

from referee.assignments.domain.manual import (
    ALREADY_ASSIGNED,
    ENTRY_NOT_ELIGIBLE,
    create_manual_assignment,
    pair_refusals,
)
from referee.assignments.requested import refusal_for
from referee.assignments.workload import with_open_assignments, workload_message
from referee.calls.models import MatchingConfiguration, Proposal
from referee.conflicts.models import ConflictOfInterest
from referee.core.audit import record
from referee.core.enums import AuditEventType
from referee.core.errors import DomainError, FieldError
from referee.reviewers.models import CallReviewerPool

COLUMNS = ("proposal_uuid", "reviewer_email")
# Under the request body limit (1 MiB, `REFEREE_MAX_BODY_BYTES`) with room for the form around it,
# so an oversized file is refused beside the field rather than by the body limit.
MAX_FILE_BYTES = 900 * 1024
MAX_ROWS = 5000

ASSIGN, UNCHANGED, ERROR = "assign", "unchanged", "error"
NOT_IN_POOL = "No reviewer of this call's pool has this e-mail address"
BLOCKED = "Reviewer has a blocking conflict of interest with this proposal"
UNCHANGED_WORDS = f"{ALREADY_ASSIGNED}: nothing to do"
STALE = "The assignments changed since the preview: nothing was assigned. Read the new preview and apply again."


@dataclass
class ImportRow:
    line: int  # the row's line in the file (the header is line 1)
    proposal_key: str
    reviewer_email: str
    outcome: str = ASSIGN
    message: str = ""
    proposal: Proposal | None = None
    entry: CallReviewerPool | None = None

    def refuse(self, message: str) -> None:
        if self.outcome != ERROR:
            self.outcome, self.message = ERROR, message


@dataclass
class ImportPlan:
    rows: list[ImportRow]
    applied: bool = False
    items_created: int = 0
    counts: dict = field(default_factory=dict)

    def __post_init__(self):
        self.count()

    def count(self) -> None:
        self.counts = {outcome: sum(1 for r in self.rows if r.outcome == outcome) for outcome in (ASSIGN, UNCHANGED, ERROR)}

    @property
    def errors(self) -> list[ImportRow]:
        return [row for row in self.rows if row.outcome == ERROR]


class ImportRefused(DomainError):
    """An apply refused because rows are refused: the plan names them."""

    def __init__(self, message: str, plan: ImportPlan):
        super().__init__(message)
        self.plan = plan


def import_assignments(call, content: bytes, *, actor, dry_run: bool, override_workload_limit: bool = False) -> ImportPlan:
    """Check (and unless `dry_run`, apply) the file. Refuses an unreadable file with a
    FieldError on `file`, and an apply with a refused row with `ImportRefused`."""
    parsed = parse(content)
    if dry_run:
        return check(call, parsed, override_workload_limit)
    with transaction.atomic():
        MatchingConfiguration.objects.select_for_update().get(call=call)
        plan = check(call, parsed, override_workload_limit)
        if plan.errors:
            raise ImportRefused(f"{len(plan.errors)} of {len(plan.rows)} rows are refused: nothing was assigned.", plan)
        _apply(call, plan, actor=actor, override_workload_limit=override_workload_limit)
    return plan


# --- reading the file ---------------------------------------------------------------------------

def parse(content: bytes) -> list[ImportRow]:
    """The file's rows, or a FieldError on `file` saying what is wrong with the file itself."""
    if len(content) > MAX_FILE_BYTES:
        raise FieldError("file", f"The file is larger than {MAX_FILE_BYTES // 1024} KiB: split it.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FieldError("file", "The file is not UTF-8 text: save it as CSV UTF-8.") from None
    if "\x00" in text:
        raise FieldError("file", "The file is not a CSV text file (it holds NUL characters).")
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip().lower() for name in reader.fieldnames or ()]
        missing = [name for name in COLUMNS if name not in header]
        if missing:
            raise FieldError("file", f"The first line must name the columns {', '.join(COLUMNS)}; "
                                     f"missing: {', '.join(missing)}.")
        reader.fieldnames = header
        rows = []
        for record_ in reader:
            if len(rows) == MAX_ROWS:
                raise FieldError("file", f"The file has more than {MAX_ROWS} rows: split it.")
            key, email = (record_.get(name) or "" for name in COLUMNS)
            if key.strip() or email.strip():  # blank lines are no rows
                rows.append(ImportRow(reader.line_num, key.strip(), email.strip()))
    except csv.Error as error:
        # line_num counts the lines read whole: the faulty one is the next.
        raise FieldError("file", f"The file is not valid CSV (line {reader.line_num + 1}: {error}).") from None
    if not rows:
        raise FieldError("file", "The file has no rows below its header.")
    return rows


# --- checking the rows --------------------------------------------------------------------------

def check(call, rows: list[ImportRow], override_workload_limit: bool) -> ImportPlan:
    """Each row's outcome, with the words of the first rule that refuses it, in a constant number
    of queries: the proposals, the pool entries (with their open load), manual assignment's pair
    checks, blocking conflicts."""
    _find_proposals(call, rows)
    _find_entries(call, rows)
    seen = {}
    for row in rows:
        if row.outcome == ERROR:
            continue
        pair = (row.entry.pk, row.proposal.pk)
        if pair in seen:
            row.refuse(f"The same pair as line {seen[pair]}")
        seen.setdefault(pair, row.line)
    _check_pairs([row for row in rows if row.outcome == ASSIGN])
    _check_loads(rows, override_workload_limit)
    return ImportPlan(rows)


def _find_proposals(call, rows) -> None:
    keys = {row.proposal_key: _uuid(row.proposal_key) for row in rows}
    # Only what the checks and the preview read: not the texts of a thousand proposals.
    proposals = Proposal.objects.filter(call=call, uuid__in={k for k in keys.values() if k}).only(
        "id", "uuid", "name", "state", "created_by_id")
    found = {p.uuid: p for p in proposals}
    for row in rows:
        row.proposal = found.get(keys[row.proposal_key])
        reason = refusal_for(row.proposal)
        if reason is not None:
            row.refuse(reason)


def _uuid(text: str):
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _find_entries(call, rows) -> None:
    """Each row's pool entry, by the reviewer's e-mail address (case-insensitive); an accepted
    entry wins over another one with the same address."""
    emails = {row.reviewer_email.lower() for row in rows}
    entries = with_open_assignments(CallReviewerPool.objects.filter(call=call)).annotate(
        email=Lower("reviewer__user__email")).filter(email__in=emails).select_related("reviewer__user").only(
        "id", "uuid", "call_id", "reviewer_id", "invitation_status", "max_assignments", "reviewer__user__email",
        "reviewer__user__first_name", "reviewer__user__last_name", "reviewer__user__username")
    by_email = {}
    for entry in entries.order_by("pk"):
        best = by_email.get(entry.email)
        if best is None or (entry.invitation_status == CallReviewerPool.Status.ACCEPTED and
                            best.invitation_status != CallReviewerPool.Status.ACCEPTED):
            by_email[entry.email] = entry
    for row in rows:
        row.entry = by_email.get(row.reviewer_email.lower())
        if row.entry is None:
            row.refuse(NOT_IN_POOL)
        elif row.entry.invitation_status != CallReviewerPool.Status.ACCEPTED:
            row.refuse(ENTRY_NOT_ELIGIBLE)


def _check_pairs(rows) -> None:
    """Manual assignment's own refusals (team, conflict bid, already assigned) and a blocking
    conflict: a bulk edit does not create items no one can answer (docs/decisions.md)."""
    refused = pair_refusals((row.entry.pk, row.proposal) for row in rows)
    blocking = set(ConflictOfInterest.objects.blocking().filter(
        reviewer_id__in={row.entry.reviewer_id for row in rows}, proposal_id__in={row.proposal.pk for row in rows},
    ).values_list("reviewer_id", "proposal_id"))
    for row in rows:
        reason = refused.get((row.entry.pk, row.proposal.pk))
        if reason == ALREADY_ASSIGNED:
            row.outcome, row.message = UNCHANGED, UNCHANGED_WORDS
        elif reason is not None:
            row.refuse(reason)
        elif (row.entry.reviewer_id, row.proposal.pk) in blocking:
            row.refuse(BLOCKED)


def _check_loads(rows, override: bool) -> None:
    """The workload rule of manual assignment (§4.5) on each reviewer's new rows together: over
    the maximum, all of them are refused in its words, unless the manager overrides."""
    adding = defaultdict(list)
    for row in rows:
        if row.outcome == ASSIGN:
            adding[row.entry.pk].append(row)
    for group in adding.values():
        entry = group[0].entry
        if entry.current_assignments + len(group) <= entry.max_assignments:
            continue
        words = workload_message(entry.current_assignments, entry.max_assignments, len(group))
        for row in group:
            if override:
                row.message = f"Over the maximum load, assigned anyway (recorded): {words}"
            else:
                row.refuse(words)


# --- applying -----------------------------------------------------------------------------------

def _apply(call, plan: ImportPlan, *, actor, override_workload_limit: bool) -> None:
    """Each reviewer's new rows through `create_manual_assignment` (its locks, its workload
    check, its items and events), entries in id order; anything it skips means the rows changed
    between the check and the write: the whole import is rolled back."""
    groups = defaultdict(list)
    for row in plan.rows:
        if row.outcome == ASSIGN:
            groups[row.entry.pk].append(row)
    for entry_id in sorted(groups):
        group = groups[entry_id]
        result = create_manual_assignment(
            call, actor=actor, reviewer_pool_entry_uuid=group[0].entry.uuid,
            proposal_uuids=[row.proposal.uuid for row in group], override_workload_limit=override_workload_limit)
        if result.skipped_proposals:
            raise ImportRefused(STALE, plan)
        plan.items_created += result.items_created
    plan.applied = True
    record(AuditEventType.ASSIGNMENTS_IMPORTED, call, actor=actor, call=call, source="csv",
           message=f"{plan.items_created} assignments imported from a CSV file of {len(plan.rows)} rows.",
           rows=len(plan.rows), items_created=plan.items_created, unchanged=plan.counts[UNCHANGED],
           reviewers=len(groups))
