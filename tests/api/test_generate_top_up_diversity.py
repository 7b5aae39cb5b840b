"""A top-up generation under the call's diversity rules (issue 14) through the API: after a
deployed generation whose items are sent and one declined per proposal, `generate-assignments`
fills the free place so that the whole panel — the reviewers still holding an item and the new
one — keeps "at most 1 per institution" and "at least 1 from another country"."""

import numpy as np
import pytest

from referee.assignments.candidates import ACTIVE_ITEM
from referee.assignments.models import AssignmentItem
from referee.calls.models import MatchingConfiguration
from tests.engine.test_generation import build_call
from tests.engine.test_generation_diversity import FIVE, affiliate, applicants_from
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

# The FIVE reviewers (A, A, B, C, D in DE, DE, FR, DE, NL). Proposal 0's applicants are German;
# proposal 1's country is unknown (the foreign rule leaves it alone).
SCORES = [[0.9, 0.85, 0.5, 0.3, 0.2],
          [0.9, 0.85, 0.2, 0.7, 0.6]]


def generate(w):
    response = client_for(w.manager).post(f"/api/proposal-protected-calls/{w.call.uuid.hex}/generate-assignments/",
                                          {}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def panel(w, proposal) -> set[int]:
    """The reviewers (by column) whose item of `proposal` still holds a place."""
    column = {e.id: j for j, e in enumerate(w.entries)}
    items = AssignmentItem.objects.filter(ACTIVE_ITEM, proposal=proposal).values_list("pool_entry_id", flat=True)
    return {column[entry] for entry in items}


def decline(w, proposal, column):
    item = AssignmentItem.objects.get(proposal=proposal, pool_entry=w.entries[column])
    reviewer = w.entries[column].reviewer.user
    response = client_for(reviewer).post(f"/api/assignment-items/{item.uuid.hex}/decline/", {"reason": "busy"},
                                         format="json")
    assert response.status_code == 200, response.content


def test_a_top_up_counts_the_reviewers_still_on_the_panel():
    w = build_call(2, 5, np.array(SCORES), max_reviewers_per_institution=1, min_reviewers_from_other_countries=1)
    affiliate(w, *FIVE)
    applicants_from("DE", w.proposals[0])
    MatchingConfiguration.objects.filter(call=w.call).update(min_reviewers_per_proposal=2)

    first = generate(w)
    assert first["rule_shortfalls"] == []
    assert [panel(w, p) for p in w.proposals] == [{0, 2}, {0, 3}]  # one per institution, one from abroad
    sent = client_for(w.manager).post(f"/api/proposal-protected-calls/{w.call.uuid.hex}/send-all-assignments/",
                                      {}, format="json")
    assert sent.status_code == 200, sent.content
    decline(w, w.proposals[0], 0)  # the French reviewer stays: no second one from abroad is needed
    decline(w, w.proposals[1], 3)  # reviewer 0 of institution A stays: reviewer 1 (also A) may not join

    top_up = generate(w)
    assert (top_up["items_created"], top_up["skipped_proposals"], top_up["rule_shortfalls"]) == (2, [], [])
    # Proposal 0 gets its best free reviewer, 1 (A, Germany), not the Dutch one a rule blind to
    # the French reviewer would reserve the place for; proposal 1 gets 4 (D), not 1 (A).
    assert [panel(w, p) for p in w.proposals] == [{2, 1}, {0, 4}]
    assert top_up["total_affinity"] == pytest.approx(0.85 + 0.6)
