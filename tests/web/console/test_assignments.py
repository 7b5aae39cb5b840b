"""The console's Assignments tab (issue 13): who may read and act, every action as a plain POST
(PRG) and its refusals beside the form in the domain's words, the preview's pairs with why, the
plots, the comparison on demand, and query counts that do not grow with the preview."""

import pytest

from referee.assignments.domain.preview_edits import start_preview
from referee.assignments.generation import deploy_preview
from referee.assignments.matching_jobs import start_comparison_job
from referee.assignments.models import (
    AssignmentBatch,
    AssignmentItem,
    DeployedGeneration,
    GenerationPreview,
    ProposedAssignment,
)
from referee.assignments.preview_queries import PROPOSALS_PER_PAGE
from referee.calls.models import MatchingConfiguration
from referee.core.enums import AuditEventType
from referee.reviewers.models import CallReviewerPool, ReviewerBid
from tests import factories as f
from tests.engine.test_generation import build_call, set_scores
from tests.engine.test_matching_jobs import run_now
from tests.helpers import count_queries, events, html, role_matrix, role_user, signed_in
from tests.web.console.helpers import READ, acting, tab_url

pytestmark = pytest.mark.django_db


def action(call, name: str) -> str:
    return f"/call/{call.uuid}/manage/assignments/{name}/"


@pytest.fixture
def ready(world):
    """The world's call with two reviewers and a preview of one pair each: P1 → R1, P2 → R2."""
    world.entry2 = f.pool_entry(world.call, f.profile(f.user("second")))
    MatchingConfiguration.objects.filter(call=world.call).update(
        min_reviewers_per_proposal=1, max_reviewers_per_proposal=2, min_proposals_per_reviewer=0,
        max_proposals_per_reviewer=2, min_affinity_threshold=0.1)
    world.call.refresh_from_db()
    set_scores(world.call, [world.proposal, world.proposal2], [world.entry, world.entry2], [[0.9, 0.5], [0.5, 0.9]])
    ReviewerBid.objects.create(reviewer=world.profile, proposal=world.proposal, bid=ReviewerBid.Bid.EAGER)
    run_now(start_preview, world.call, user=world.manager, algorithm="minmax")
    return world


def deployed(world) -> DeployedGeneration:
    """Deploy the world's preview: its generation."""
    deploy_preview(world.call, user=world.manager, preview_uuid=GenerationPreview.objects.get(call=world.call).uuid)
    return DeployedGeneration.objects.filter(call=world.call).latest("created")


def pair(world, proposal, entry) -> ProposedAssignment:
    return ProposedAssignment.objects.get(call=world.call, proposal=proposal, reviewer_id=entry.reviewer_id)


@role_matrix(READ)
def test_the_tab_is_for_managers_support_and_staff_and_support_gets_no_actions(client, ready, role, expected):
    response = signed_in(client, role_user(ready, role)).get(tab_url(ready.call, "assignments"))
    assert response.status_code == expected
    if expected != 200:
        assert ready.proposal.name not in html(response)
        return
    page = html(response)
    assert 'aria-current="page">Assignments<' in page and ready.proposal.name in page
    assert ("Deploy to draft batches" in page) == (role != "support")
    assert ("Generate preview" in page) == (role != "support")
    assert ("Compare the three algorithms" in page) == (role != "support")


ROUTES = {
    "generate": lambda w: {"algorithm": "fairflow"},
    "compare": lambda w: {},
    "deploy": lambda w: {"preview": GenerationPreview.objects.get(call=w.call).uuid},
    "undo": lambda w: {"generation": deployed(w).uuid},
    "send-all": lambda w: {},
    "remove": lambda w: {"remove-pair": pair(w, w.proposal, w.entry).uuid},
    "add": lambda w: {"add-proposal": w.proposal.uuid, "add-reviewer": w.entry2.uuid},
    "swap": lambda w: {"swap-first": pair(w, w.proposal, w.entry).uuid, "swap-second": pair(w, w.proposal2, w.entry2).uuid},
}


@pytest.mark.parametrize("route", ROUTES)
@role_matrix(acting(302))
def test_every_action_is_for_managers_and_staff(client, ready, route, role, expected):
    body = ROUTES[route](ready)
    response = signed_in(client, role_user(ready, role)).post(action(ready.call, route), body)
    assert response.status_code == expected, html(response)[:3000]
    if expected == 302 and role != "anonymous":
        assert response["Location"] == tab_url(ready.call, "assignments")


@pytest.mark.parametrize("route", ROUTES)
def test_actions_answer_only_posts(client, ready, route):
    assert signed_in(client, ready.manager).get(action(ready.call, route)).status_code == 405


def test_the_preview_shows_each_pair_with_why_and_the_plots(client, ready):
    page = html(signed_in(client, ready.manager).get(tab_url(ready.call, "assignments")))
    # The engine's explanation of each pair (explanations.explain_pairs), and its parts.
    assert "Affinity 0.90 (1 = the proposal&#x27;s best-fitting reviewer in the pool)" in page
    assert "they bid “eager”." in page and "<dt>Text part</dt><dd>0.900</dd>" in page
    for plot in ("preview-totals", "preview-loads", "preview-coverage"):
        assert f'id="{plot}"' in page
    assert 'id="algorithm-comparison"' not in page  # three solves only when asked


@role_matrix(READ)
def test_the_latest_comparison_shows_for_every_reader(client, ready, role, expected):
    run_now(start_comparison_job, ready.call, user=ready.manager)
    response = signed_in(client, role_user(ready, role)).get(tab_url(ready.call, "assignments"))
    assert response.status_code == expected
    page = html(response)
    assert ('id="algorithm-comparison"' in page) == (expected == 200)
    if expected == 200:
        for algorithm in ("minmax", "fairflow", "hungarian"):
            assert f'<th scope="row">{algorithm}</th>' in page
        assert "was solved on the same inputs as this comparison" in page
        assert 'id="without-rules"' not in page and 'id="rules-cost"' not in page  # the call has no rules


def test_a_conflicted_swap_is_refused_in_words_beside_the_form(client, ready):
    f.conflict(ready.entry2.reviewer, ready.proposal)
    body = ROUTES["swap"](ready)
    response = signed_in(client, ready.manager).post(action(ready.call, "swap"), body)
    assert response.status_code == 400
    assert "blocking conflict of interest with this proposal" in html(response)
    assert pair(ready, ready.proposal, ready.entry).is_deployed is False  # nothing changed


def test_an_override_needs_a_reason_and_takes_one(client, ready):
    MatchingConfiguration.objects.filter(call=ready.call).update(max_proposals_per_reviewer=1)
    signed_in(client, ready.manager)
    body = ROUTES["add"](ready)
    refused = client.post(action(ready.call, "add"), body)
    assert refused.status_code == 400 and "Give a reason to override." in html(refused)
    assert 'id="id_add-reason-error"' in html(refused)  # beside the reason field
    assert client.post(action(ready.call, "add"), {**body, "add-reason": "Agreed by phone"}).status_code == 302
    assert ProposedAssignment.objects.filter(call=ready.call, proposal=ready.proposal, is_deployed=False).count() == 2


def test_deploy_twice_or_a_stale_preview_is_refused_in_words(client, ready):
    signed_in(client, ready.manager)
    body = ROUTES["deploy"](ready)
    f.conflict(ready.entry.reviewer, ready.proposal2)  # changes the problem the preview was solved for
    stale = client.post(action(ready.call, "deploy"), body)
    assert stale.status_code == 400 and "The preview is out of date" in html(stale)
    assert not AssignmentItem.objects.filter(batch__call=ready.call).exists()
    ready.call.conflicts.all().delete()
    assert client.post(action(ready.call, "deploy"), body).status_code == 302
    again = client.post(action(ready.call, "deploy"), body)
    assert again.status_code == 400 and "This preview was already deployed" in html(again)


def test_deploy_send_all_then_undo_is_refused_in_words(client, ready):
    signed_in(client, ready.manager)
    client.post(action(ready.call, "deploy"), ROUTES["deploy"](ready))
    assert client.post(action(ready.call, "send-all"), {}).status_code == 302
    assert set(AssignmentBatch.objects.filter(call=ready.call).values_list("status", flat=True)) == {"sent"}
    generation = DeployedGeneration.objects.get(call=ready.call)
    refused = client.post(action(ready.call, "undo"), {"generation": generation.uuid})
    assert refused.status_code == 400 and "sent to reviewers, so nothing was withdrawn" in html(refused)
    assert AssignmentItem.objects.filter(generation=generation).count() == 2
    missing = client.post(action(ready.call, "undo"), {})
    assert missing.status_code == 400 and "This field is required." in html(missing)
    assert client.post(action(ready.call, "undo"), {"generation": "nonsense"}).status_code == 400
    foreign = DeployedGeneration.objects.create(call=ready.other_call)  # another call's, through this call's URL
    refused = client.post(action(ready.call, "undo"), {"generation": foreign.uuid})
    assert refused.status_code == 400 and "This call has no such deployed generation" in html(refused)


def test_htmx_actions_redraw_the_panel(client, ready):
    response = signed_in(client, ready.manager).post(action(ready.call, "remove"), ROUTES["remove"](ready),
                                                     HTTP_HX_REQUEST="true")
    page = html(response)
    assert response.status_code == 200 and page.lstrip().startswith("<div id=\"assignments-panel\"") and "<html" not in page
    assert "Pair removed from the preview." in page


def test_bad_input_is_a_400_beside_the_field(client, ready):
    signed_in(client, ready.manager)
    response = client.post(action(ready.call, "generate"), {"algorithm": "magic", "reviewers_per_proposal": "9"})
    page = html(response)
    assert response.status_code == 400 and "Select a valid choice." in page
    assert "max_reviewers_per_proposal of the call&#x27;s matching configuration" in page
    assert client.post(action(ready.call, "swap"), {"swap-first": "nonsense"}).status_code == 400


def test_the_tab_and_the_swaps_search_cost_the_same_queries_however_large_the_preview(client):
    small = build_call(3, 3, min_reviewers_per_proposal=2)
    large = build_call(45, 12, seed=1, min_reviewers_per_proposal=2)
    for w in (small, large):
        run_now(start_preview, w.call, user=w.manager, algorithm="minmax")
    signed_in(client, small.manager)
    client.get(tab_url(small.call, "assignments"))
    before = count_queries(client, tab_url(small.call, "assignments"))
    searched = count_queries(client, tab_url(small.call), {"tab": "assignments", "swap_q": "proposal"})
    found = count_queries(client, action(small.call, "pairs"), {"swap_q": "proposal"})
    signed_in(client, large.manager)
    assert count_queries(client, tab_url(large.call, "assignments")) == before
    assert count_queries(client, tab_url(large.call), {"tab": "assignments", "page": 3}) == before
    assert count_queries(client, tab_url(large.call), {"tab": "assignments", "swap_q": "proposal"}) == searched
    assert count_queries(client, action(large.call, "pairs"), {"swap_q": "proposal"}) == found
    assert count_queries(client, action(large.call, "pairs"), {"swap_q": "proposal", "swap_page": 3}) == found


def test_a_refused_removal_asks_for_its_reason_in_a_form_of_its_own(client, ready):
    MatchingConfiguration.objects.filter(call=ready.call).update(min_proposals_per_reviewer=1)
    signed_in(client, ready.manager)
    body = ROUTES["remove"](ready)
    refused = client.post(action(ready.call, "remove"), body)
    page = html(refused)
    assert refused.status_code == 400 and "Remove anyway" in page and "the call&#x27;s minimum load" in page
    assert f'value="{body["remove-pair"]}"' in page  # the same pair, with a reason field beside it
    assert client.post(action(ready.call, "remove"), {**body, "remove-reason": "Away in June"}).status_code == 302
    assert not ProposedAssignment.objects.filter(call=ready.call, proposal=ready.proposal, is_deployed=False).exists()


def test_proposals_that_fall_short_are_named_with_what_would_fix_it(client, ready, django_capture_on_commit_callbacks):
    MatchingConfiguration.objects.filter(call=ready.call).update(max_proposals_per_reviewer=1)
    signed_in(client, ready.manager)
    with django_capture_on_commit_callbacks(execute=True):
        generated = client.post(action(ready.call, "generate"), {"algorithm": "minmax", "reviewers_per_proposal": 2})
    assert generated.status_code == 302
    page = html(client.get(tab_url(ready.call, "assignments")))
    assert "Proposals that fall short" in page
    report = GenerationPreview.objects.get(call=ready.call).report
    short, diagnosis = report["skipped_proposals"], report["diagnosis"]
    shown = page.replace("&#x27;", "'").replace("&quot;", '"')
    assert len(short) == 2 and all(s["suggestion"] in shown for s in short)
    assert diagnosis and all(finding["message"] in shown for finding in diagnosis)  # the minimum cut's words
    assert ": 1 of 2 reviewers." in page


def test_before_any_preview_the_tab_offers_generation_only(client, world):
    page = html(signed_in(client, world.manager).get(tab_url(world.call, "assignments")))
    assert "Generate preview" in page and 'id="preview-title"' not in page and "Deploy to draft batches" not in page
    assert "0 draft batches waiting." in page


@role_matrix(READ)
def test_the_tab_links_to_the_csv_page_and_offers_the_import_to_those_who_manage(client, world, role, expected):
    response = signed_in(client, role_user(world, role)).get(tab_url(world.call, "assignments"))
    assert response.status_code == expected
    if expected != 200:
        return
    page = html(response)
    link = f'<a id="csv-link" href="/call/{world.call.uuid}/manage/csv/">Export the assignments or the affinity matrix'
    assert link in page
    assert ("affinity matrix, import manual assignments</a>" in page) == (role != "support")
    assert signed_in(client, role_user(world, role)).get(f"/call/{world.call.uuid}/manage/csv/").status_code == 200


def test_the_plots_show_the_preview_as_edited(client, ready):
    signed_in(client, ready.manager)
    page = html(client.get(tab_url(ready.call, "assignments")))
    assert '<th scope="row">fully assigned</th><td>2</td>' in page and '<th scope="row">short</th><td>0</td>' in page
    client.post(action(ready.call, "remove"), ROUTES["remove"](ready))
    page = html(client.get(tab_url(ready.call, "assignments")))
    coverage = page[page.index('id="preview-coverage"'):]
    assert '<th scope="row">fully assigned</th><td>1</td>' in coverage and '<th scope="row">short</th><td>1</td>' in coverage
    totals = page[page.index('id="preview-totals"'):page.index('id="preview-loads"')]
    assert f'<th scope="row">{ready.proposal.name}</th><td>0.000</td>' in totals  # the worst-off now
    loads = page[page.index('id="preview-loads"'):page.index('id="preview-coverage"')]
    assert f'<th scope="row">{ready.entry.reviewer.user.full_name}</th><td>0</td>' in loads
    assert "1 short now (0 as generated)" in page and "0.900 now (1.800 as generated;" in page


@role_matrix(READ)
def test_each_deployed_generation_is_listed_with_its_counts_and_an_undo_for_managers(client, ready, role, expected):
    first = deployed(ready)
    response = signed_in(client, role_user(ready, role)).get(tab_url(ready.call, "assignments"))
    assert response.status_code == expected
    page = html(response)
    assert ('id="deployed-generations"' in page) == (expected == 200)
    if expected != 200:
        return
    row = page[page.index(f'id="generation-{first.uuid.hex}"'):]
    assert '<td class="number">2</td>\n        <td class="number">0</td>' in row  # 2 unsent drafts, none sent
    assert ("withdraw its 2 unsent drafts" in row) == (role != "support")


def test_an_earlier_generation_is_undone_from_the_list_after_a_top_up(client, ready):
    """A then B (a top-up for a new proposal): undoing A withdraws A's drafts only, audited."""
    first = deployed(ready)
    newcomer = f.proposal(ready.proposal.round, created_by=ready.proposal.created_by)
    set_scores(ready.call, [ready.proposal, ready.proposal2, newcomer], [ready.entry, ready.entry2],
               [[0.9, 0.5], [0.5, 0.9], [0.6, 0.7]])
    run_now(start_preview, ready.call, user=ready.manager, algorithm="minmax")
    second = deployed(ready)
    signed_in(client, ready.manager)
    page = html(client.get(tab_url(ready.call, "assignments")))
    assert page.count("(withdraw its ") == 2  # an undo for each generation
    response = client.post(action(ready.call, "undo"), {"generation": first.uuid}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Undone: 2 draft items withdrawn, 1 draft batch deleted." in html(response)  # B reused a draft
    left = AssignmentItem.objects.filter(batch__call=ready.call)
    assert [(i.proposal, i.generation) for i in left] == [(newcomer, second)]
    row = html(response)[html(response).index(f'id="generation-{first.uuid.hex}"'):]
    assert "Undone <time" in row.split("</tr>")[0]
    assert [e.object_uuid for e in events(AuditEventType.ASSIGNMENTS_GENERATION_UNDONE)] == [first.uuid]


def test_the_generations_list_costs_the_same_queries_however_many(client, ready):
    deployed(ready)
    signed_in(client, ready.manager)
    client.get(tab_url(ready.call, "assignments"))
    before = count_queries(client, tab_url(ready.call, "assignments"))
    for _ in range(3):
        DeployedGeneration.objects.create(call=ready.call, deployed_by=ready.manager)
    assert count_queries(client, tab_url(ready.call, "assignments")) == before


SEARCH = {**READ, "support": 403}  # the swap's search serves who may swap


@role_matrix(SEARCH)
def test_the_swaps_search_is_for_those_who_may_swap(client, ready, role, expected):
    response = signed_in(client, role_user(ready, role)).get(action(ready.call, "pairs"), {"swap_q": "second"})
    assert response.status_code == expected
    if expected == 200:
        page = html(response)
        assert page.lstrip().startswith('<div id="swap-partners"') and 'form="swap-form"' in page
        assert f'value="{pair(ready, ready.proposal2, ready.entry2).uuid}"' in page
        assert str(pair(ready, ready.proposal, ready.entry).uuid) not in page


def test_a_pair_on_another_page_is_found_and_swapped_without_js(client):
    """The first pair from page 1, the second found by name on page 2 of the preview: plain GET
    then plain POST."""
    scores = [[0.9, 0.3] if i % 2 else [0.3, 0.9] for i in range(25)]  # the reviewers alternate
    w = build_call(25, 2, scores, min_reviewers_per_proposal=1, max_proposals_per_reviewer=25)
    CallReviewerPool.objects.filter(call=w.call).update(max_assignments=25)
    run_now(start_preview, w.call, user=w.manager, algorithm="minmax")
    rows = list(ProposedAssignment.objects.filter(call=w.call).order_by("proposal__name", "id"))
    first = rows[0]
    second = next(r for r in rows[PROPOSALS_PER_PAGE:] if r.reviewer_id != first.reviewer_id)
    signed_in(client, w.manager)
    page = html(client.get(tab_url(w.call), {"tab": "assignments", "swap_q": second.proposal.name}))
    assert f'value="{first.uuid}"' in page  # the first pair's select: this page's pairs
    assert f'<input type="radio" name="swap-second" value="{second.uuid}" form="swap-form"' in page
    body = {"swap-first": first.uuid, "swap-second": second.uuid, "swap-reason": "Agreed", "swap_q": second.proposal.name}
    response = client.post(action(w.call, "swap"), body)
    assert response.status_code == 302, html(response)[:2000]
    assert response["Location"].endswith(f"&swap_q={second.proposal.name.replace(' ', '+')}")
    now = set(ProposedAssignment.objects.filter(call=w.call).values_list("proposal_id", "reviewer_id"))
    assert {(first.proposal_id, second.reviewer_id), (second.proposal_id, first.reviewer_id)} <= now


def test_the_swaps_search_refuses_a_long_query_beside_its_field_and_finds_nothing_in_words(client, ready):
    signed_in(client, ready.manager)
    long = client.get(action(ready.call, "pairs"), {"swap_q": "x" * 101})
    assert long.status_code == 400 and "Ensure this value has at most 100 characters" in html(long)
    none = client.get(action(ready.call, "pairs"), {"swap_q": "nobody"})
    assert none.status_code == 200 and "No pair of the preview matches “nobody”." in html(none)
    refused = client.post(action(ready.call, "swap"), {"swap-first": pair(ready, ready.proposal, ready.entry).uuid})
    assert refused.status_code == 400 and 'id="id_swap-second-error"' in html(refused)

