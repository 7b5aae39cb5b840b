"""Why a reviewer fits a proposal (issue 13, item 4): `explain_pairs` over affinities computed from
real texts, its query count, and the `pair-explanation/` action for every role."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referee.assignments.affinities import compute_affinities
from referee.assignments.explanations import explain_pairs
from referee.assignments.models import AffinityScore
from referee.reviewers.models import ReviewerBid, ReviewerExpertise, ReviewerPublication
from tests import factories as f
from tests.helpers import as_role, client_for, role_matrix

pytestmark = pytest.mark.django_db


def publication(profile, title, year=2020, abstract=""):
    return ReviewerPublication.objects.create(profile=profile, title=title, publication_year=year, abstract=abstract)


def keyword(profile, word, level="expert"):
    ReviewerExpertise.objects.create(profile=profile, expertise_keyword=word, proficiency_level=level)


@pytest.fixture
def texts(world):
    """The world's proposal about coral reefs; the reviewer knows reefs and has one paper on them
    among others, a second reviewer knows neither."""
    world.proposal.name = "Coral reef resilience"
    world.proposal.project_summary = "Bleaching of coral reef ecosystems under ocean warming."
    world.proposal.description = "We monitor reef fish and coral cover with underwater drones."
    world.proposal.save()
    keyword(world.profile, "coral reef")
    keyword(world.profile, "ocean warming", "familiar")
    keyword(world.profile, "volcanology", "basic")
    world.paper = publication(world.profile, "Coral bleaching and reef fish", 2021,
                              "Ocean warming bleaches coral reef ecosystems.")
    publication(world.profile, "Glacier retreat in the Alps", 2019, "Ice sheets and moraines.")
    world.other = f.pool_entry(world.call, f.profile(f.user(), biography="Medieval manuscripts."))
    ReviewerBid.objects.create(reviewer=world.profile, proposal=world.proposal, call=world.call, bid="eager")
    compute_affinities(world.call)
    return world


def test_a_pair_is_explained_by_its_keywords_publication_and_bid(texts):
    pair = (texts.proposal.id, texts.profile.id)
    explained = explain_pairs(texts.call, [pair])[pair]
    row = AffinityScore.objects.get(proposal=texts.proposal, reviewer=texts.profile)
    assert (explained.affinity, explained.keyword_score, explained.text_score) == (
        round(row.affinity_score, 4), round(row.keyword_score, 4), round(row.text_score, 4))
    assert explained.affinity == 1.0  # the best reviewer of the proposal
    assert explained.matched_keywords == [("coral reef", "expert"), ("ocean warming", "familiar")]
    assert explained.keywords == 3
    assert explained.best_publication["title"] == "Coral bleaching and reef fish"
    assert explained.best_publication["year"] == 2021
    assert 0 < explained.best_publication["similarity"] <= 1
    assert row.best_publication_pk == texts.paper.id
    assert explained.bid == "eager"
    assert explained.summary.startswith("Affinity 1.00 (1 = the proposal's best-fitting reviewer in the pool): 2 of "
                                        "their 3 keywords occur in the proposal (coral reef, ocean warming); their "
                                        "closest publication is “Coral bleaching and reef fish” (2021, similarity")
    assert explained.summary.endswith("they bid “eager”.")


def test_a_reviewer_with_nothing_in_common_and_a_pair_without_scores(texts):
    unrelated = (texts.proposal.id, texts.other.reviewer_id)
    uncomputed = (f.proposal(texts.round).id, texts.profile.id)  # submitted after the computation
    explained = explain_pairs(texts.call, [unrelated, uncomputed])
    assert explained[unrelated].matched_keywords == [] and explained[unrelated].best_publication is None
    assert explained[unrelated].summary == (
        "Affinity 0.00 (1 = the proposal's best-fitting reviewer in the pool): the reviewer lists no keywords; "
        "no publication of theirs shares a term with it; they have not bid on it.")
    assert explained[uncomputed].affinity is None and explained[uncomputed].best_publication is None
    assert explained[uncomputed].summary.startswith("No affinity has been computed for this pair yet: none of their "
                                                    "3 keywords occurs in the proposal;")


def test_a_publication_excluded_from_matching_is_never_the_best(texts):
    later = publication(texts.profile, "Reef fish census", 2023, "Coral reef fish counts.")
    ReviewerPublication.objects.filter(id=texts.paper.id).update(is_excluded_from_matching=True)
    compute_affinities(texts.call)
    pair = (texts.proposal.id, texts.profile.id)
    assert explain_pairs(texts.call, [pair])[pair].best_publication["title"] == "Reef fish census"
    assert AffinityScore.objects.get(proposal=texts.proposal, reviewer=texts.profile).best_publication_pk == later.id


def test_a_proposal_of_another_call_is_not_explained_from_this_one(texts):
    foreign = f.proposal(f.round_(texts.other_call))
    [explained] = explain_pairs(texts.call, [(foreign.id, texts.profile.id)]).values()
    assert (explained.affinity, explained.matched_keywords) == (None, [])


def test_queries_do_not_grow_with_the_pairs(texts):
    def count(pairs):
        with CaptureQueriesContext(connection) as ctx:
            assert len(explain_pairs(texts.call, pairs)) == len(pairs)
        return len(ctx)

    one = count([(texts.proposal.id, texts.profile.id)])
    more = [f.pool_entry(texts.call, f.profile(f.user())) for _ in range(3)]
    for entry in more:
        keyword(entry.reviewer, "reef")
        publication(entry.reviewer, "Reef fish", 2018)
    compute_affinities(texts.call)
    pairs = [(p.id, e.reviewer_id) for p in (texts.proposal, texts.proposal2) for e in [texts.entry, texts.other, *more]]
    assert count(pairs) == one == 5
    assert count([]) == 0


def url(call):
    return f"/api/proposal-protected-calls/{call.uuid.hex}/pair-explanation/"


@role_matrix({"anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 403, "manager": 200,
              "support": 200, "staff": 200})
def test_the_api_action_for_every_role(texts, role, expected):
    response = as_role(texts, role).get(url(texts.call), {"proposal_uuid": texts.proposal.uuid.hex,
                                                          "reviewer_uuid": texts.profile.uuid.hex})
    assert response.status_code == expected, response.content
    if expected == 200:
        body = response.json()
        assert body["proposal_uuid"] == texts.proposal.uuid.hex and body["reviewer_uuid"] == texts.profile.uuid.hex
        assert body["matched_keywords"] == [{"keyword": "coral reef", "proficiency": "expert"},
                                            {"keyword": "ocean warming", "proficiency": "familiar"}]
        assert body["best_publication"]["title"] == "Coral bleaching and reef fish" and body["bid"] == "eager"
        assert body["summary"] == explain_pairs(texts.call, [(texts.proposal.id, texts.profile.id)])[
            (texts.proposal.id, texts.profile.id)].summary


def test_the_api_action_refuses_bad_input_beside_the_field(texts):
    client = client_for(texts.manager)
    assert client.get(url(texts.call)).json().keys() == {"proposal_uuid", "reviewer_uuid"}
    foreign = f.proposal(f.round_(texts.other_call))
    response = client.get(url(texts.call), {"proposal_uuid": foreign.uuid.hex, "reviewer_uuid": texts.profile.uuid.hex})
    assert response.status_code == 400 and response.json() == {"proposal_uuid": ["No proposal of this call has this uuid."]}
    response = client.get(url(texts.call), {"proposal_uuid": texts.proposal.uuid.hex, "reviewer_uuid": "nope"})
    assert response.status_code == 400 and list(response.json()) == ["reviewer_uuid"]
    response = client.get(url(texts.call), {"proposal_uuid": texts.proposal.uuid.hex,
                                            "reviewer_uuid": foreign.uuid.hex})
    assert response.json() == {"reviewer_uuid": ["No reviewer profile has this uuid."]}
