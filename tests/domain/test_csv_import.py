"""The CSV import of manual assignments (issue 13): the file's problems in words, each row checked
by the rules of create-manual-assignment, all or nothing, re-checked under the lock at apply."""

import pytest

from referee.assignments.csv_import import MAX_FILE_BYTES, MAX_ROWS, ImportRefused, import_assignments
from referee.assignments.models import AssignmentItem
from referee.core.enums import AuditEventType
from referee.core.errors import FieldError
from referee.reviewers.models import ReviewerBid
from tests import factories as f
from tests.helpers import events

pytestmark = pytest.mark.django_db


def csv_of(*rows, header="proposal_uuid,reviewer_email") -> bytes:
    return "\n".join([header, *(f"{p},{e}" for p, e in rows)]).encode()


def outcomes(plan):
    return [(row.line, row.outcome, row.message) for row in plan.rows]


def test_a_dry_run_checks_every_row_and_writes_nothing(world):
    plan = import_assignments(world.call, csv_of((world.proposal.uuid, "REVIEWER@example.org")),
                              actor=world.manager, dry_run=True)
    assert outcomes(plan) == [(2, "assign", "")]
    assert not AssignmentItem.objects.exists() and not events(AuditEventType.ASSIGNMENTS_IMPORTED)


def test_an_apply_creates_the_items_through_manual_assignment_with_one_import_event(world):
    other = f.pool_entry(world.call, f.profile(f.user("ida")))
    content = csv_of((world.proposal.uuid, "reviewer@example.org"), (world.proposal2.uuid, "reviewer@example.org"),
                     (world.proposal.uuid, "ida@example.org"))
    plan = import_assignments(world.call, content, actor=world.manager, dry_run=False)
    assert plan.applied and plan.items_created == 3
    pairs = set(AssignmentItem.objects.values_list("pool_entry_id", "proposal_id", "status", "batch__status"))
    assert pairs == {(world.entry.id, world.proposal.id, "pending", "draft"),
                     (world.entry.id, world.proposal2.id, "pending", "draft"),
                     (other.id, world.proposal.id, "pending", "draft")}
    (event,) = events(AuditEventType.ASSIGNMENTS_IMPORTED)
    assert event.call == world.call and event.actor == world.manager and event.context["items_created"] == 3
    assert len(events(AuditEventType.ASSIGNMENT_ITEMS_CREATED)) == 2  # one per reviewer, as manual assignment writes


def test_each_refused_row_says_why_in_words_and_nothing_is_applied(world):
    closed = f.proposal(world.round, state="draft")
    team = f.proposal(world.round, team=[world.reviewer])
    bid_on = f.proposal(world.round)
    ReviewerBid.objects.create(reviewer=world.profile, proposal=bid_on, call=world.call, bid="conflict")
    conflicted = f.proposal(world.round)
    f.conflict(world.profile, conflicted, rule="recusal_required")
    f.pool_entry(world.call, f.profile(f.user("pat")), status="pending")
    held = f.proposal(world.round)
    f.item(f.batch(world.entry, status="sent"), held)
    content = csv_of(
        (world.proposal.uuid, "reviewer@example.org"),   # 2 fine
        ("not-a-uuid", "reviewer@example.org"),           # 3
        (f.proposal(f.round_(world.other_call)).uuid, "reviewer@example.org"),  # 4 other call
        (closed.uuid, "reviewer@example.org"),            # 5
        (world.proposal2.uuid, "nobody@example.org"),     # 6
        (world.proposal2.uuid, "pat@example.org"),        # 7 pending invitation
        (team.uuid, "reviewer@example.org"),              # 8
        (bid_on.uuid, "reviewer@example.org"),            # 9
        (conflicted.uuid, "reviewer@example.org"),        # 10
        (world.proposal.uuid, "Reviewer@Example.org"),    # 11 duplicate of 2
        (held.uuid, "reviewer@example.org"),              # 12 unchanged
    )
    assert outcomes(import_assignments(world.call, content, actor=world.manager, dry_run=True)) == [
        (2, "assign", ""),
        (3, "error", "Proposal not found in this call"),
        (4, "error", "Proposal not found in this call"),
        (5, "error", "Proposal is not open for review"),
        (6, "error", "No reviewer of this call's pool has this e-mail address"),
        (7, "error", "Reviewer not found in pool or not accepted."),
        (8, "error", "Reviewer is a member of the proposal team"),
        (9, "error", "Reviewer declared a conflict for this proposal"),
        (10, "error", "Reviewer has a blocking conflict of interest with this proposal"),
        (11, "error", "The same pair as line 2"),
        (12, "unchanged", "Assignment already exists for this reviewer: nothing to do"),
    ]
    with pytest.raises(ImportRefused) as refused:
        import_assignments(world.call, content, actor=world.manager, dry_run=False)
    assert str(refused.value.message) == "9 of 11 rows are refused: nothing was assigned."
    assert AssignmentItem.objects.count() == 1 and not events(AuditEventType.ASSIGNMENTS_IMPORTED)


def test_a_reviewer_over_the_maximum_load_is_refused_unless_overridden(world):
    world.entry.max_assignments = 1
    world.entry.save()
    content = csv_of((world.proposal.uuid, "reviewer@example.org"), (world.proposal2.uuid, "reviewer@example.org"))
    plan = import_assignments(world.call, content, actor=world.manager, dry_run=True)
    words = ("Reviewer has 0 open assignments (limit 1); this request would add 2. "
             "Set override_workload_limit to assign anyway.")
    assert outcomes(plan) == [(2, "error", words), (3, "error", words)]
    plan = import_assignments(world.call, content, actor=world.manager, dry_run=False, override_workload_limit=True)
    assert plan.items_created == 2
    assert len(events(AuditEventType.REVIEWER_WORKLOAD_LIMIT_OVERRIDDEN)) == 1


def test_the_exported_columns_are_read_and_the_others_ignored(world):
    content = (f"proposal,reviewer,Proposal_UUID,bid,Reviewer_Email\n"
               f'"A, title",Someone,{world.proposal.uuid},eager,reviewer@example.org\n\n').encode("utf-8-sig")
    assert outcomes(import_assignments(world.call, content, actor=world.manager, dry_run=True)) == [(2, "assign", "")]


@pytest.mark.parametrize(("content", "words"), [
    (b"", "The first line must name the columns proposal_uuid, reviewer_email; missing: proposal_uuid, reviewer_email."),
    (b"proposal_uuid,email\nx,y", "The first line must name the columns proposal_uuid, reviewer_email; missing: reviewer_email."),
    (b"proposal_uuid,reviewer_email\n", "The file has no rows below its header."),
    ("proposal_uuid,reviewer_email\nü,x".encode("latin-1"), "The file is not UTF-8 text: save it as CSV UTF-8."),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "The file is not UTF-8 text: save it as CSV UTF-8."),
    (b"proposal_uuid,reviewer_email\n\x00,x", "The file is not a CSV text file (it holds NUL characters)."),
    (b'proposal_uuid,reviewer_email\n"x,y', "The file is not valid CSV (line 2: unexpected end of data)."),
    (b"x" * (MAX_FILE_BYTES + 1), f"The file is larger than {MAX_FILE_BYTES // 1024} KiB: split it."),
    (b"proposal_uuid,reviewer_email\n" + b"a,b\n" * (MAX_ROWS + 1), f"The file has more than {MAX_ROWS} rows: split it."),
])
def test_a_bad_file_is_refused_on_the_file_field_in_words(world, content, words):
    with pytest.raises(FieldError) as refused:
        import_assignments(world.call, content, actor=world.manager, dry_run=True)
    assert (refused.value.field, refused.value.message) == ("file", words)
