"""Edits of a generation's preview (issue 13): remove, add and swap pairs, refused by the rules
generation applies (team, conflict bids, blocking conflicts, unavailability, earlier
assignments) and by the reviewers' loads and the threshold unless a reason overrides; an edited
preview still deploys, and exactly its edited pairs."""

import pytest

from referee.assignments.domain import create_manual_assignment
from referee.assignments.domain.preview_edits import (
    ALREADY_PREVIEWED,
    HARD,
    NO_PAIR,
    NO_PREVIEW,
    SAME_SIDE,
    add_pair,
    remove_pair,
    start_preview,
    swap_pairs,
)
from referee.assignments.generation import deploy_preview
from referee.assignments.models import AssignmentItem, GenerationPreview, ProposedAssignment
from referee.assignments.preview_queries import PAIRS_FOUND_PER_PAGE, find_pairs, preview_coverage
from referee.core.enums import AuditEventType
from referee.core.errors import DomainError, FieldError
from referee.reviewers.models import ReviewerBid
from tests import factories as f
from tests.engine.test_generation import build_call, configure
from tests.engine.test_matching_jobs import run_now
from tests.helpers import events

pytestmark = pytest.mark.django_db

# 2 proposals × 3 reviewers, one reviewer each: P0 → R0, P1 → R1 (their best), R2 idle.
SCORES = [[0.9, 0.5, 0.4], [0.5, 0.9, 0.3]]


@pytest.fixture
def w():
    w = build_call(2, 3, SCORES, min_reviewers_per_proposal=1, max_proposals_per_reviewer=2)
    run_now(start_preview, w.call, user=w.manager, algorithm="minmax")
    return w


def row(w, i, j) -> ProposedAssignment:
    return ProposedAssignment.objects.get(call=w.call, proposal=w.proposals[i], reviewer_id=w.entries[j].reviewer_id,
                                          is_deployed=False)


def previewed(w) -> set:
    """(proposal index, reviewer index) of the preview's rows."""
    p = {x.id: i for i, x in enumerate(w.proposals)}
    r = {e.reviewer_id: j for j, e in enumerate(w.entries)}
    return {(p[a], r[b]) for a, b in ProposedAssignment.objects.filter(call=w.call, is_deployed=False)
            .values_list("proposal_id", "reviewer_id")}


def test_the_fixture_previews_each_proposal_with_its_best_reviewer(w):
    assert previewed(w) == {(0, 0), (1, 1)}


def test_remove_add_and_swap_change_the_previews_rows_and_are_audited(w):
    remove_pair(w.call, actor=w.manager, pair_uuid=row(w, 0, 0).uuid)
    assert previewed(w) == {(1, 1)}
    add_pair(w.call, actor=w.manager, proposal_uuid=w.proposals[0].uuid, pool_entry_uuid=w.entries[2].uuid)
    assert previewed(w) == {(0, 2), (1, 1)}
    assert row(w, 0, 2).affinity_score == pytest.approx(0.4) and row(w, 0, 2).added_by_hand
    assert row(w, 0, 2).algorithm_used == "minmax"  # the call's algorithm: one of the three the client reads
    swap_pairs(w.call, actor=w.manager, first_uuid=row(w, 0, 2).uuid, second_uuid=row(w, 1, 1).uuid)
    assert previewed(w) == {(0, 1), (1, 2)}
    edits = events(AuditEventType.ASSIGNMENT_PREVIEW_EDITED)
    assert [e.context["edit"] for e in edits] == ["remove", "add", "swap"]
    assert [p["proposal_uuid"] for p in edits[2].context["added"]] == [w.proposals[0].uuid.hex, w.proposals[1].uuid.hex]


def test_an_edited_preview_deploys_exactly_its_edited_pairs(w):
    swap_pairs(w.call, actor=w.manager, first_uuid=row(w, 0, 0).uuid, second_uuid=row(w, 1, 1).uuid)
    add_pair(w.call, actor=w.manager, proposal_uuid=w.proposals[0].uuid, pool_entry_uuid=w.entries[2].uuid)
    preview = GenerationPreview.objects.get(call=w.call)
    result = deploy_preview(w.call, user=w.manager, preview_uuid=preview.uuid)
    items = AssignmentItem.objects.filter(batch__call=w.call)
    made = {(w.proposals.index(i.proposal), [e.id for e in w.entries].index(i.pool_entry_id)) for i in items}
    assert made == {(0, 1), (1, 0), (0, 2)} and result.items_created == 3
    assert not ProposedAssignment.objects.filter(call=w.call, is_deployed=False).exists()


@pytest.mark.parametrize("rule", ["team_membership", "conflict_bids", "conflicts", "unavailable_reviewers",
                                  "existing_assignments"])
def test_a_pair_generation_would_never_make_is_refused_even_with_a_reason(w, rule):
    entry, proposal = w.entries[2], w.proposals[0]
    if rule == "team_membership":
        proposal.team.add(entry.reviewer.user)
    elif rule == "conflict_bids":
        ReviewerBid.objects.create(reviewer=entry.reviewer, proposal=proposal, bid=ReviewerBid.Bid.CONFLICT)
    elif rule == "conflicts":
        f.conflict(entry.reviewer, proposal)
    elif rule == "unavailable_reviewers":
        entry.reviewer.available_for_reviews = False
        entry.reviewer.save()
    else:
        f.item(f.batch(entry, status="sent"), proposal, status="declined")
    with pytest.raises(DomainError) as refused:
        add_pair(w.call, actor=w.manager, proposal_uuid=proposal.uuid, pool_entry_uuid=entry.uuid, reason="I know")
    assert HARD[rule] in refused.value.message and proposal.name in refused.value.message
    assert previewed(w) == {(0, 0), (1, 1)}
    assert not events(AuditEventType.ASSIGNMENT_PREVIEW_EDITED)


def test_a_conflicted_swap_is_refused_in_words(w):
    f.conflict(w.entries[1].reviewer, w.proposals[0])
    with pytest.raises(DomainError) as refused:
        swap_pairs(w.call, actor=w.manager, first_uuid=row(w, 0, 0).uuid, second_uuid=row(w, 1, 1).uuid)
    assert "blocking conflict of interest" in refused.value.message
    assert w.proposals[0].name in refused.value.message
    assert previewed(w) == {(0, 0), (1, 1)}


def test_a_reviewer_above_their_maximum_needs_a_reason_which_the_audit_keeps(w):
    configure(w, max_proposals_per_reviewer=1)
    with pytest.raises(FieldError) as refused:
        add_pair(w.call, actor=w.manager, proposal_uuid=w.proposals[1].uuid, pool_entry_uuid=w.entries[0].uuid)
    assert refused.value.field == "reason" and "more than the 1 their maximum load" in refused.value.message
    assert previewed(w) == {(0, 0), (1, 1)}
    add_pair(w.call, actor=w.manager, proposal_uuid=w.proposals[1].uuid, pool_entry_uuid=w.entries[0].uuid,
             reason="She asked for more")
    assert previewed(w) == {(0, 0), (1, 1), (1, 0)}
    (edit,) = events(AuditEventType.ASSIGNMENT_PREVIEW_EDITED)
    assert edit.context["reason"] == "She asked for more" and "maximum load" in edit.context["overrides"][0]


def test_removing_below_a_reviewers_minimum_needs_a_reason(w):
    configure(w, min_proposals_per_reviewer=1)
    with pytest.raises(FieldError) as refused:
        remove_pair(w.call, actor=w.manager, pair_uuid=row(w, 0, 0).uuid, reason="  ")
    assert "fewer than the 1 the call's minimum" in refused.value.message
    remove_pair(w.call, actor=w.manager, pair_uuid=row(w, 0, 0).uuid, reason="On leave next month")
    assert previewed(w) == {(1, 1)}


def test_an_affinity_below_the_threshold_needs_a_reason(w):
    configure(w, min_affinity_threshold=0.45)
    with pytest.raises(FieldError) as refused:
        add_pair(w.call, actor=w.manager, proposal_uuid=w.proposals[0].uuid, pool_entry_uuid=w.entries[2].uuid)
    assert "0.40 is below the call's threshold 0.45" in refused.value.message


def test_edits_that_make_no_sense_are_refused(w):
    with pytest.raises(DomainError, match=SAME_SIDE):
        swap_pairs(w.call, actor=w.manager, first_uuid=row(w, 0, 0).uuid, second_uuid=row(w, 0, 0).uuid)
    with pytest.raises(DomainError) as refused:
        add_pair(w.call, actor=w.manager, proposal_uuid=w.proposals[0].uuid, pool_entry_uuid=w.entries[0].uuid)
    assert refused.value.message == ALREADY_PREVIEWED.format(reviewer=w.entries[0].reviewer.user.full_name,
                                                             proposal=w.proposals[0].name)
    gone = row(w, 0, 0).uuid
    remove_pair(w.call, actor=w.manager, pair_uuid=gone)
    with pytest.raises(DomainError, match=NO_PAIR[:30]):
        remove_pair(w.call, actor=w.manager, pair_uuid=gone)
    with pytest.raises(FieldError):
        add_pair(w.call, actor=w.manager, proposal_uuid=w.proposals[0].uuid, pool_entry_uuid=gone)


def test_a_deployed_preview_or_none_cannot_be_edited(w):
    pair = row(w, 0, 0).uuid
    deploy_preview(w.call, user=w.manager, preview_uuid=GenerationPreview.objects.get(call=w.call).uuid)
    with pytest.raises(DomainError, match="already deployed"):
        remove_pair(w.call, actor=w.manager, pair_uuid=pair)
    GenerationPreview.objects.get(call=w.call).delete()
    with pytest.raises(DomainError, match=NO_PREVIEW):
        remove_pair(w.call, actor=w.manager, pair_uuid=pair)


def test_generating_with_another_algorithm_makes_it_the_calls_setting(w):
    run_now(start_preview, w.call, user=w.manager, algorithm="fairflow")
    w.call.matching_config.refresh_from_db()
    assert w.call.matching_config.algorithm == "fairflow"
    assert set(ProposedAssignment.objects.filter(call=w.call).values_list("algorithm_used", flat=True)) == {"fairflow"}


def test_a_proposal_the_preview_does_not_assign_is_refused(w):
    late = f.proposal(w.round, created_by=w.applicant, state="draft")
    with pytest.raises(DomainError, match="is not one of the proposals this preview assigns"):
        add_pair(w.call, actor=w.manager, proposal_uuid=late.uuid, pool_entry_uuid=w.entries[2].uuid, reason="x")


def test_the_preview_coverage_follows_the_edits_and_wants_what_active_items_leave(w):
    """The plots' numbers (`preview_coverage`) are the preview's rows now, not its report."""
    names = [p.name for p in w.proposals]

    def coverage():
        preview = GenerationPreview.objects.get(call=w.call)
        return {c.name: (c.wanted, c.previewed, c.total, c.short)
                for c in preview_coverage(w.call, preview, w.call.matching_config)}

    assert coverage() == {names[0]: (1, 1, 0.9, False), names[1]: (1, 1, 0.9, False)}
    remove_pair(w.call, actor=w.manager, pair_uuid=row(w, 0, 0).uuid)
    assert coverage()[names[0]] == (1, 0, 0.0, True)  # short now; the report still says covered
    assert not GenerationPreview.objects.get(call=w.call).report["skipped_proposals"]
    add_pair(w.call, actor=w.manager, proposal_uuid=w.proposals[0].uuid, pool_entry_uuid=w.entries[2].uuid)
    assert coverage()[names[0]] == (1, 1, 0.4, False)
    # A pending item of a draft batch counts: the proposal wants none more, as generation would say.
    create_manual_assignment(w.call, actor=w.manager, reviewer_pool_entry_uuid=w.entries[2].uuid,
                             proposal_uuids=[w.proposals[1].uuid])
    assert coverage()[names[1]] == (0, 1, 0.9, False)


def test_find_pairs_finds_the_previews_pairs_by_every_word_of_a_proposal_or_reviewer_name(w):
    """The swap's second pair, anywhere in the preview (`preview_queries.find_pairs`)."""
    w.proposals[1].name = "Coral spectra"
    w.proposals[1].save()
    reviewer = w.entries[0].reviewer.user
    reviewer.first_name, reviewer.last_name = "Ada", "Lovelace"
    reviewer.save()

    def found(query, page=1):
        return [(r.proposal.name, r.reviewer.user.full_name) for r in find_pairs(w.call, query, page)]

    assert found("coral") == [("Coral spectra", w.entries[1].reviewer.user.full_name)]
    assert found("ada love") == [(w.proposals[0].name, "Ada Lovelace")]  # every word, first and last name
    assert found("coral ada") == [] and found("nobody") == []
    assert len(found("")) == 2  # no words: every pair, by proposal name
    deploy_preview(w.call, user=w.manager, preview_uuid=GenerationPreview.objects.get(call=w.call).uuid)
    assert found("coral") == []  # deployed rows are no preview's pairs


def test_find_pairs_pages_the_pairs_found():
    w = build_call(12, 3, min_reviewers_per_proposal=1, max_proposals_per_reviewer=12)  # 15 places (5 each)
    run_now(start_preview, w.call, user=w.manager, algorithm="minmax")
    first, second = find_pairs(w.call, "proposal", 1), find_pairs(w.call, "proposal", 2)
    assert first.paginator.count == 12 and len(first) == PAIRS_FOUND_PER_PAGE and len(second) == 2
    assert not {r.uuid for r in first} & {r.uuid for r in second}
