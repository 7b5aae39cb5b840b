"""The Assignments tab's preview of a randomized generation (issue 14): the seed, the cap and the
expected total beside the drawn total, each drawn pair's chance, the diversity rules a proposal
misses in words, for every role that reads the tab; and query counts that do not grow."""

import re

import pytest

from referee.assignments.generation import generate_assignments
from referee.assignments.models import GenerationPreview, ProposedAssignment
from referee.calls.models import MatchingConfiguration
from tests import factories as f
from tests.engine.test_generation import build_call, set_scores
from tests.engine.test_generation_randomized import nobody_from_abroad
from tests.helpers import count_queries, html, role_matrix, role_user, signed_in
from tests.web.console.helpers import READ, tab_url

pytestmark = pytest.mark.django_db


@role_matrix(READ)
def test_the_preview_shows_the_draw_and_each_pairs_chance(client, world, role, expected):
    entries = [world.entry, f.pool_entry(world.call, f.profile(f.user("second"))),
               f.pool_entry(world.call, f.profile(f.user("third")))]
    MatchingConfiguration.objects.filter(call=world.call).update(
        min_reviewers_per_proposal=1, max_reviewers_per_proposal=2, min_proposals_per_reviewer=0,
        min_affinity_threshold=0.1, max_assignment_probability=0.5)
    set_scores(world.call, [world.proposal, world.proposal2], entries, [[0.9, 0.5, 0.4], [0.5, 0.9, 0.3]])
    result = generate_assignments(world.call, user=world.manager, dry_run=True)
    response = signed_in(client, role_user(world, role)).get(tab_url(world.call), {"tab": "assignments"})
    assert response.status_code == expected
    if expected != 200:
        return
    page = html(response)
    assert f"drawn with seed {result.seed}, no pair above a 50 % chance" in page
    assert f"expected total affinity {result.expected_total_affinity:.3f}" in page
    assert ">Chance drawn</th>" in page
    chances = re.findall(r'<td class="number">(\d+) %</td>', page)
    rows = ProposedAssignment.objects.filter(call=world.call)
    assert sorted(chances) == sorted(str(round(row.probability * 100)) for row in rows) and len(chances) == 2


def test_a_deterministic_preview_has_no_chance_column(client, world):
    generate_assignments(world.call, user=world.manager, dry_run=True)
    page = html(signed_in(client, world.manager).get(tab_url(world.call), {"tab": "assignments"}))
    assert "preview-pairs" in page and "Chance drawn" not in page and "drawn with seed" not in page


def test_the_diversity_rules_a_proposal_misses_are_listed_in_words(client):
    w = nobody_from_abroad(0.5)
    generate_assignments(w.call, user=w.manager, dry_run=True)
    (shortfall,) = GenerationPreview.objects.get(call=w.call).report["rule_shortfalls"]
    page = html(signed_in(client, w.manager).get(tab_url(w.call), {"tab": "assignments"}))
    assert "Diversity rules not met" in page
    assert f"Only 0 eligible reviewers outside FR for proposal “{w.proposals[0].name}”." in page
    assert shortfall["message"][1:] in page


def test_the_tab_costs_the_same_queries_however_large_the_randomized_preview(client):
    small = build_call(3, 3, max_assignment_probability=0.5)
    large = build_call(30, 12, seed=1, max_assignment_probability=0.5)
    for w in (small, large):
        generate_assignments(w.call, user=w.manager, dry_run=True)
    signed_in(client, small.manager)
    client.get(tab_url(small.call), {"tab": "assignments"})
    before = count_queries(client, tab_url(small.call), {"tab": "assignments"})
    signed_in(client, large.manager)
    assert count_queries(client, tab_url(large.call), {"tab": "assignments"}) == before
