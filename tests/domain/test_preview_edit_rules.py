"""Preview edits under the call's panel diversity rules (issue 14): an add, swap or remove that
takes a proposal's panel over a cap, or below a minimum it met, is refused in words naming the
rule, the reviewers and the institution or country, unless a reason overrides it (kept by the
audit event); the reviewers a proposal already holds count as part of its panel."""

import pytest

from referee.assignments.domain.preview_edits import add_pair, remove_pair, start_preview, swap_pairs
from referee.core.enums import AuditEventType
from referee.core.errors import FieldError
from tests import factories as f
from tests.domain.test_preview_edits import previewed, row
from tests.engine.test_generation import build_call, configure
from tests.engine.test_generation_diversity import FIVE, affiliate, applicants_from
from tests.engine.test_matching_jobs import run_now
from tests.helpers import events

pytestmark = pytest.mark.django_db

# The FIVE reviewers (4, Dutch, idle). Proposal 0's applicants are German, proposal 1's country is unknown. Under
# "at most 1 per institution" and "at least 1 from abroad" the preview is P0 → {0, 2}, P1 → {1, 3}.
SCORES = [[0.9, 0.8, 0.5, 0.4, 0.2], [0.3, 0.9, 0.2, 0.8, 0.1]]


@pytest.fixture
def w():
    w = build_call(2, 5, SCORES, max_proposals_per_reviewer=2, max_reviewers_per_institution=1,
                   min_reviewers_from_other_countries=1)
    affiliate(w, *FIVE)
    applicants_from("DE", w.proposals[0])
    run_now(start_preview, w.call, user=w.manager, algorithm="minmax")
    return w


def name(w, j) -> str:
    return w.entries[j].reviewer.user.full_name


def test_the_fixture_previews_panels_that_keep_the_rules(w):
    assert previewed(w) == {(0, 0), (0, 2), (1, 1), (1, 3)}


def test_a_second_reviewer_of_one_institution_needs_a_reason(w):
    with pytest.raises(FieldError) as refused:
        add_pair(w.call, actor=w.manager, proposal_uuid=w.proposals[0].uuid, pool_entry_uuid=w.entries[1].uuid)
    assert refused.value.field == "reason"
    assert (f"{w.proposals[0].name}: at most 1 reviewer per institution — {name(w, 0)} and {name(w, 1)} would "
            "both be from Institute A.") in refused.value.message
    assert previewed(w) == {(0, 0), (0, 2), (1, 1), (1, 3)}
    add_pair(w.call, actor=w.manager, proposal_uuid=w.proposals[0].uuid, pool_entry_uuid=w.entries[1].uuid,
             reason="Both are needed for the method")
    assert (0, 1) in previewed(w)
    (edit,) = events(AuditEventType.ASSIGNMENT_PREVIEW_EDITED)
    assert "at most 1 reviewer per institution" in edit.context["overrides"][0]


def test_removing_the_only_reviewer_from_abroad_needs_a_reason(w):
    with pytest.raises(FieldError) as refused:
        remove_pair(w.call, actor=w.manager, pair_uuid=row(w, 0, 2).uuid)
    assert (f"{w.proposals[0].name}: at least 1 reviewer from outside the applicants' country — without "
            f"{name(w, 2)} it would have 0 from outside DE.") in refused.value.message
    remove_pair(w.call, actor=w.manager, pair_uuid=row(w, 0, 2).uuid, reason="Will add one later")
    assert previewed(w) == {(0, 0), (1, 1), (1, 3)}


def test_a_swap_is_checked_on_both_panels(w):
    # P0's French reviewer for P1's reviewer 3 (Germany): P0 loses its only reviewer from abroad.
    with pytest.raises(FieldError, match=f"without {name(w, 2)} it would have 0 from outside DE"):
        swap_pairs(w.call, actor=w.manager, first_uuid=row(w, 0, 2).uuid, second_uuid=row(w, 1, 3).uuid)
    # P0's reviewer 0 for P1's reviewer 3: P1 would have 0 and 1, both of institution A.
    with pytest.raises(FieldError, match=f"{name(w, 0)} and {name(w, 1)} would both be from Institute A"):
        swap_pairs(w.call, actor=w.manager, first_uuid=row(w, 0, 0).uuid, second_uuid=row(w, 1, 3).uuid)
    # Reviewers 0 and 1 (both A) change places: every panel keeps the rules, no reason needed.
    swap_pairs(w.call, actor=w.manager, first_uuid=row(w, 0, 0).uuid, second_uuid=row(w, 1, 1).uuid)
    assert previewed(w) == {(0, 1), (0, 2), (1, 0), (1, 3)}


def test_a_cap_missed_before_the_edit_is_not_the_edits_doing(w):
    configure(w, max_reviewers_per_country=1)
    # P1 has reviewers 1 and 3, both from Germany: over the new cap already. Swapping 1 for 0
    # (also German) keeps it at two: no new breach. The Dutch reviewer breaks nothing.
    swap_pairs(w.call, actor=w.manager, first_uuid=row(w, 0, 0).uuid, second_uuid=row(w, 1, 1).uuid)
    add_pair(w.call, actor=w.manager, proposal_uuid=w.proposals[1].uuid, pool_entry_uuid=w.entries[4].uuid)
    assert (1, 4) in previewed(w)


def test_reviewers_the_proposal_already_holds_count(w):
    # The Dutch reviewer already holds an item of P0: the French one may go without a reason.
    f.item(f.batch(w.entries[4], status="sent"), w.proposals[0])
    remove_pair(w.call, actor=w.manager, pair_uuid=row(w, 0, 2).uuid)
    assert previewed(w) == {(0, 0), (1, 1), (1, 3)}
    # Reviewer 0 (institution A) holds an item of P1: reviewer 1 (A too) would be a second one.
    remove_pair(w.call, actor=w.manager, pair_uuid=row(w, 1, 1).uuid)
    f.item(f.batch(w.entries[0], status="sent"), w.proposals[1])
    with pytest.raises(FieldError, match=f"{name(w, 0)} and {name(w, 1)} would both be from Institute A"):
        add_pair(w.call, actor=w.manager, proposal_uuid=w.proposals[1].uuid, pool_entry_uuid=w.entries[1].uuid)
