"""The Matching tab's affinities (issue 13): computing them, when they were computed and whether
they are stale, the heatmap in cluster order (aggregated into blocks for a large call), each
proposal's best reviewers, and a query count that does not grow with the call."""

import re

import pytest
from django.core.cache import cache
from django.utils import timezone

from referee.assignments.affinities import cache_state, compute_affinities
from referee.assignments.models import AffinityScore
from referee.assignments.queries import HEATMAP_BLOCKS, layout_key
from referee.assignments.tasks import arrange_affinity_heatmap
from tests import factories as f
from tests.helpers import count_queries, html, role_matrix, role_user, signed_in
from tests.web.console.helpers import READ, acting, tab_url

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def compute_url(call) -> str:
    return f"/call/{call.uuid}/manage/matching/affinities/"


def reviewers(call, n: int, prefix="Rev") -> list:
    """n accepted reviewers of the call (profiles), named `<prefix><i>`."""
    profiles = [f.profile(f.user(first_name=f"{prefix}{i}", last_name="Tester")) for i in range(n)]
    for profile in profiles:
        f.pool_entry(call, profile)
    return profiles


def store_scores(call, scores: dict) -> None:
    """The cache as `compute-affinities` leaves it, with chosen scores: {(proposal, profile): affinity}."""
    now = timezone.now()
    AffinityScore.objects.bulk_create([
        AffinityScore(call=call, proposal=proposal, reviewer=profile, affinity_score=value, method="combined",
                      keyword_weight=0.4, text_weight=0.6, computed_at=now)
        for (proposal, profile), value in scores.items()])


def best_reviewer_rows(page: str) -> list[tuple[str, list[str]]]:
    """The best-reviewers table: (proposal, [reviewer names best first]) in the order shown."""
    table = page.split('id="best-reviewers"', 1)[1].split("</table>", 1)[0]
    return [(proposal, re.findall(r"<li>([^<]+?) <span", cells))
            for proposal, cells in re.findall(r'<th scope="row">([^<]+)</th>\s*<td>(.*?)</td>', table, re.S)]


@role_matrix(acting(302))
def test_computing_affinities_is_for_managers_and_staff(client, world, role, expected, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the job's task runs once the request has committed
        response = signed_in(client, role_user(world, role)).post(compute_url(world.call))
    assert response.status_code == expected
    computed = AffinityScore.objects.filter(call=world.call).count()
    assert computed == (2 if role in ("manager", "staff") else 0)  # two proposals × the one reviewer
    if role in ("manager", "staff"):
        assert response["Location"] == f"{tab_url(world.call, 'matching')}#affinities"


def test_the_tab_says_when_affinities_were_computed_and_whether_they_are_stale(client, world,
                                                                             django_capture_on_commit_callbacks):
    signed_in(client, world.manager)
    assert "Not computed yet" in html(client.get(tab_url(world.call, "matching")))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(compute_url(world.call), **HTMX)
    response = client.get(heatmap_url(world.call), **HTMX)  # what the section fetches once the job has ended
    assert response.status_code == 200
    section = html(response)
    assert "Last computed" in section and "Up to date." in section
    assert 'id="affinity-heatmap"' in section and "<h1>" not in section
    world.proposal.description = "Something else entirely"
    world.proposal.save()
    page = html(client.get(tab_url(world.call, "matching")))
    assert "Stale:" in page and 'id="affinity-heatmap"' in page  # the cached scores are still drawn


def test_the_heatmap_and_best_reviewers_show_the_clusters_together(client, world):
    """Six proposals alternating between two topics, four reviewers (two per topic): shown by topic."""
    call = world.call
    world.entry.delete()
    people = reviewers(call, 4)
    proposals = [world.proposal, world.proposal2, *(f.proposal(world.round) for _ in range(4))]
    topic = {p.id: i % 2 for i, p in enumerate(proposals)}
    store_scores(call, {(p, r): (0.9 - 0.1 * (j % 2) if topic[p.id] == j // 2 else 0.05)
                        for p in proposals for j, r in enumerate(people)})
    page = html(signed_in(client, world.manager).get(tab_url(call, "matching")))
    assert "Affinity of 6 proposals × 4 reviewers, similar ones together" in page
    assert "mean of a block" not in page  # small: one cell per pair
    svg = page.split('id="affinity-heatmap"', 1)[1].split("</svg>", 1)[0]
    assert svg.count("<rect") == 6 * 4
    rows = best_reviewer_rows(page)
    names = {p.name: topic[p.id] for p in proposals}
    shown_topics = [names[proposal] for proposal, _ in rows]
    assert shown_topics in ([0, 0, 0, 1, 1, 1], [1, 1, 1, 0, 0, 0])  # each topic's proposals together
    for proposal, best in rows:
        first, second = (people[0], people[1]) if names[proposal] == 0 else (people[2], people[3])
        assert best[:2] == [first.user.full_name, second.user.full_name]
        assert len(best) == 4  # all four reviewers (fewer than five)


def test_a_large_call_is_drawn_as_blocks_and_its_best_reviewers_paged(client, world):
    call = world.call
    people = [world.profile, *reviewers(call, 2)]
    proposals = [world.proposal, world.proposal2, *(f.proposal(world.round) for _ in range(68))]
    store_scores(call, {(p, r): ((i * 7 + j * 3) % 10) / 10 for i, p in enumerate(proposals)
                        for j, r in enumerate(people)})
    signed_in(client, world.manager)
    page = html(client.get(tab_url(call, "matching")))
    assert "Affinity of 70 proposals × 3 reviewers, similar ones together (each cell the mean of a block of about 1 × 1)" in page
    svg = page.split('id="affinity-heatmap"', 1)[1].split("</svg>", 1)[0]
    assert HEATMAP_BLOCKS == 40 and svg.count("<rect") == 40 * 3  # 40 rows of blocks, most of two proposals
    assert " and 1 more × " in svg
    assert len(best_reviewer_rows(page)) == 20 and "Page 1 of 4" in page
    last = html(client.get(tab_url(call, "matching"), {"tab": "matching", "best_page": 4}))
    assert len(best_reviewer_rows(last)) == 10
    shown = {p for n in range(1, 5) for p, _ in best_reviewer_rows(
        html(client.get(tab_url(call, "matching"), {"tab": "matching", "best_page": n})))}
    assert shown == {p.name for p in proposals}


def heatmap_url(call) -> str:
    return f"/call/{call.uuid}/manage/matching/heatmap/"


@role_matrix(READ)
def test_the_affinities_section_alone_is_for_those_who_read_the_console(client, world, role, expected):
    compute_affinities(world.call)
    response = signed_in(client, role_user(world, role)).get(heatmap_url(world.call))
    assert response.status_code == expected
    if expected == 200:
        assert 'id="affinity-heatmap"' in html(response)
        assert ("Compute affinities</button>" in html(response)) == (role != "support")


def test_while_a_worker_arranges_the_scores_the_section_polls_until_the_heatmap_is_there(client, world):
    compute_affinities(world.call)
    cache.add(f"{layout_key(world.call, cache_state(world.call))}:asked", True)  # a worker has it in hand
    signed_in(client, world.manager)
    page = html(client.get(tab_url(world.call, "matching")))
    assert "Preparing the heatmap of these scores in the background" in page
    assert f'hx-get="{heatmap_url(world.call)}" hx-trigger="every 2s"' in page and "affinity-heatmap" not in page
    arrange_affinity_heatmap(world.call.id)  # what the worker runs
    section = html(client.get(heatmap_url(world.call), **HTMX))
    assert 'id="affinity-heatmap"' in section and "every 2s" not in section and "<h1>" not in section


def test_without_a_background_worker_the_page_says_why_there_is_no_heatmap(client, world, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # as in a served process, where no worker has reported
    compute_affinities(world.call)
    page = html(signed_in(client, world.manager).get(tab_url(world.call, "matching")))
    assert "The heatmap is drawn by a background worker, and none is running" in page
    assert "affinity-heatmap" not in page and "every 2s" not in page


def test_a_best_reviewer_in_conflict_says_so(client, world):
    compute_affinities(world.call)
    f.conflict(world.profile, world.proposal, rule="management_allowed")
    page = html(signed_in(client, world.manager).get(tab_url(world.call, "matching")))
    rows = dict((proposal, cells) for proposal, cells in re.findall(
        r'<th scope="row">([^<]+)</th>\s*<td><ol class="best-reviewers">(.*?)</ol>', page, re.S))
    assert "conflict: pending" in rows[world.proposal.name]
    assert "conflict:" not in rows[world.proposal2.name]


def test_the_tab_costs_the_same_queries_for_a_larger_call(client, world):
    """Proposals, reviewers, scores and conflicts grow; the tab's queries do not (warm: the layout
    of the scores is made once per computation)."""
    url = tab_url(world.call, "matching")
    signed_in(client, world.manager)
    f.conflict(world.profile, world.proposal)  # an empty page of conflicts would skip its query
    compute_affinities(world.call)
    client.get(url)
    before = count_queries(client, url)
    people = reviewers(world.call, 6)
    for _ in range(8):
        proposal = f.proposal(world.round)
        for person in people[:3]:
            f.conflict(person, proposal, rule="management_allowed")
    compute_affinities(world.call)
    client.get(url)
    assert count_queries(client, url) == before
