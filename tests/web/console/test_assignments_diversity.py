"""The Assignments tab under the call's diversity rules (issue 14): the preview shows each
configured rule with how many proposals' panels meet it, for every role that reads the tab; an
edit that breaks a rule is refused in words beside its form unless a reason overrides it; the
tab's queries do not grow with the call."""

import numpy as np
import pytest

from referee.assignments.domain.preview_edits import start_preview
from referee.assignments.matching_jobs import start_comparison_job
from referee.assignments.models import ProposedAssignment
from referee.calls.models import MatchingConfiguration
from tests import factories as f
from tests.engine.test_generation import build_call, set_scores
from tests.engine.test_generation_diversity import FIVE, affiliate, applicants_from
from tests.engine.test_matching_jobs import run_now
from tests.helpers import count_queries, html, role_matrix, role_user, signed_in
from tests.web.console.helpers import READ, tab_url

pytestmark = pytest.mark.django_db

RULES = {"max_reviewers_per_institution": 1, "min_reviewers_from_other_countries": 1}


def with_rules(w):
    """The FIVE reviewers; the first proposal's applicants are German, the second's country unknown.
    The preview: proposal 0 → {0, 2}, proposal 1 → {1, 3}."""
    MatchingConfiguration.objects.filter(call=w.call).update(
        min_reviewers_per_proposal=2, max_reviewers_per_proposal=3, min_proposals_per_reviewer=0,
        max_proposals_per_reviewer=2, min_affinity_threshold=0.1, **RULES)
    set_scores(w.call, w.proposals, w.entries, [[0.9, 0.8, 0.5, 0.4, 0.2], [0.3, 0.9, 0.2, 0.8, 0.1]])
    affiliate(w, *FIVE)
    applicants_from("DE", w.proposals[0])
    run_now(start_preview, w.call, user=w.manager, algorithm="minmax")
    return w


@pytest.fixture
def ruled(world):
    world.entries = [world.entry, *(f.pool_entry(world.call, f.profile(f.user())) for _ in range(4))]
    world.proposals = [world.proposal, world.proposal2]
    return with_rules(world)


def pair(w, i, j) -> ProposedAssignment:
    return ProposedAssignment.objects.get(call=w.call, proposal=w.proposals[i], reviewer_id=w.entries[j].reviewer_id)


def summary(page: str) -> str:
    start = page.index('id="diversity-rules"')
    return page[start:page.index("</table>", start)]


@role_matrix(READ)
def test_the_preview_shows_how_many_proposals_meet_each_rule(client, ruled, role, expected):
    response = signed_in(client, role_user(ruled, role)).get(tab_url(ruled.call, "assignments"))
    assert response.status_code == expected
    if expected != 200:
        return
    rules = summary(html(response)).replace("&#x27;", "'")
    assert '<th scope="row">At most 1 reviewer per institution</th><td class="number">2 of 2</td>' in rules
    # The second proposal's applicants' country is unknown: the rule leaves it alone.
    assert ('<th scope="row">At least 1 reviewer from outside the applicants\' country</th>'
            '<td class="number">1 of 1</td>') in rules


@role_matrix(READ)
def test_the_comparison_shows_what_the_rules_cost_in_total_affinity(client, ruled, role, expected):
    run_now(start_comparison_job, ruled.call, user=ruled.manager)
    response = signed_in(client, role_user(ruled, role)).get(tab_url(ruled.call, "assignments"))
    assert response.status_code == expected
    if expected != 200:
        return
    page = html(response)
    free = ruled.call.matching_jobs.get(kind="comparison").result["without_rules"]  # minmax: 3.4 without, 3.1 under the rules
    assert '<tr id="without-rules"><th scope="row">minmax without the diversity rules</th><td class="number">3.400</td>' in page
    assert (f'<p class="note" id="rules-cost">The diversity rules cost {free["rules_cost"]:.3f} of total affinity '
            f'with minmax ({free["rules_cost_percent"]:.1f} % of 3.400, what it reaches without them).</p>') in page


def test_rules_the_best_panels_meet_anyway_cost_nothing(client, ruled):
    # Unconstrained, proposal 0 takes reviewers 0 (A, DE) and 2 (B, FR), proposal 1 reviewers 1 and 3.
    set_scores(ruled.call, ruled.proposals, ruled.entries, [[0.9, 0.1, 0.8, 0.1, 0.1], [0.1, 0.9, 0.1, 0.8, 0.1]])
    run_now(start_comparison_job, ruled.call, user=ruled.manager)
    page = html(signed_in(client, ruled.manager).get(tab_url(ruled.call, "assignments")))
    assert ('<p class="note" id="rules-cost">The diversity rules cost nothing in total affinity with minmax '
            '(it reaches 3.400 without them).</p>') in page


def test_a_call_without_rules_shows_no_summary(client, world):
    run_now(start_preview, world.call, user=world.manager, algorithm="minmax")
    page = html(signed_in(client, world.manager).get(tab_url(world.call, "assignments")))
    assert 'id="preview-title"' in page and 'id="diversity-rules"' not in page


def test_an_edit_that_breaks_a_rule_is_refused_beside_its_form_until_a_reason_is_given(client, ruled):
    signed_in(client, ruled.manager)
    url = f"/call/{ruled.call.uuid}/manage/assignments/remove/"
    body = {"remove-pair": pair(ruled, 0, 2).uuid}
    refused = client.post(url, body)
    page = html(refused)
    french = ruled.entries[2].reviewer.user.full_name
    assert refused.status_code == 400 and "Remove anyway" in page
    assert (f"{ruled.proposals[0].name}: at least 1 reviewer from outside the applicants&#x27; country — without "
            f"{french} it would have 0 from outside DE.") in page
    added = client.post(f"/call/{ruled.call.uuid}/manage/assignments/add/",
                        {"add-proposal": ruled.proposals[0].uuid, "add-reviewer": ruled.entries[1].uuid})
    assert added.status_code == 400 and "would both be from Institute A" in html(added)
    assert 'id="id_add-reason-error"' in html(added)
    assert client.post(url, {**body, "remove-reason": "Another one comes next week"}).status_code == 302
    rules = summary(html(client.get(tab_url(ruled.call, "assignments"))))
    assert '<td class="number">0 of 1</td>' in rules  # the summary reads the edited panels


def test_the_tab_costs_the_same_queries_however_large_the_call_under_rules(client):
    calls = []
    for n_proposals, n_reviewers in ((2, 5), (30, 15)):
        w = build_call(n_proposals, n_reviewers, np.tile([0.9, 0.8, 0.5, 0.4, 0.2] * (n_reviewers // 5), (n_proposals, 1)))
        calls.append(w)
        affiliate(w, [f"I{j % 4}" for j in range(n_reviewers)], ["DE", "FR", "NL"] * n_reviewers)
        MatchingConfiguration.objects.filter(call=w.call).update(**RULES)
        run_now(start_preview, w.call, user=w.manager, algorithm="minmax")
    small, large = calls
    signed_in(client, small.manager)
    client.get(tab_url(small.call, "assignments"))
    before = count_queries(client, tab_url(small.call, "assignments"))
    assert 'id="diversity-rules"' in html(client.get(tab_url(small.call, "assignments")))
    signed_in(client, large.manager)
    assert count_queries(client, tab_url(large.call, "assignments")) == before
