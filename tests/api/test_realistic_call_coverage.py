"""Issue 10, item 2: with the shipped defaults, a call whose reviewers have publications but no
keywords, and whose texts overlap as little as real abstracts do, is fully covered whenever
capacity allows. The call comes from `bench.realistic_call` (the statistics of a real call) and
the manager only sets the capacity, as on the real call (30 proposals per reviewer)."""

import numpy as np
import pytest

from bench.realistic_call import generate, publication_cosines
from referee.assignments.models import AffinityScore, AssignmentItem
from referee.calls.models import MatchingConfiguration, Proposal
from referee.reviewers.models import ReviewerPublication
from tests import factories as f
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def _split(text: str, words: int) -> tuple[str, str]:
    """A heading of the first `words` words and the rest, as a title and an abstract."""
    parts = text.split(" ")
    return " ".join(parts[:words]), " ".join(parts[words:])


def load(generated):
    """The generated call as rows: submitted proposals, accepted reviewers with publications, each
    reviewer's own limit 30 (what the real call's import set)."""
    manager = f.user()
    call = f.call(managers=[manager])
    round_ = f.round_(call)
    applicant = f.user()
    proposals = []
    for i, text in enumerate(generated.proposals):
        name, description = _split(text, 8)
        proposals.append(Proposal(round=round_, call=call, name=name, slug=f"realistic-{i}", state="submitted",
                                  project_summary="", description=description, created_by=applicant))
    Proposal.objects.bulk_create(proposals)
    publications = []
    for reviewer in generated.reviewers:
        profile = f.profile(f.user())
        f.pool_entry(call, profile, max_assignments=30)
        for text in reviewer.publications:
            title, abstract = _split(text, 10)
            publications.append(ReviewerPublication(profile=profile, title=title, abstract=abstract,
                                                    publication_year=2022))
    ReviewerPublication.objects.bulk_create(publications)
    return call, manager


@pytest.fixture(scope="module")
def generated():
    return generate(seed=0)


def test_the_generator_has_the_real_calls_statistics(generated):
    counts = generated.publication_counts
    assert counts.min() >= 1 and counts.max() <= 60 and 10 <= counts.mean() <= 20
    assert all(not r.keywords and not r.biography for r in generated.reviewers)
    assert 0.035 <= np.median(publication_cosines(generated)) <= 0.06


def test_a_default_generation_covers_a_realistic_call(generated):
    call, manager = load(generated)
    client = client_for(manager)
    base = f"/api/proposal-protected-calls/{call.uuid.hex}"
    assert client.patch(f"{base}/matching-configuration/", {"max_proposals_per_reviewer": 30},
                        format="json").status_code == 200, "only the capacity differs from the defaults"
    response = client.post(f"{base}/generate-assignments/", {}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    n_proposals = len(generated.proposals)
    assert body["skipped_proposals"] == []
    assert body["items_created"] == 3 * n_proposals == AssignmentItem.objects.filter(batch__call=call).count()
    # The scale the threshold is read on: every proposal has a best reviewer at 1.
    best = {}
    for proposal_id, score in AffinityScore.objects.filter(call=call).values_list("proposal_id", "affinity_score"):
        best[proposal_id] = max(best.get(proposal_id, 0.0), score)
    assert len(best) == n_proposals and set(best.values()) == {1.0}
    config = MatchingConfiguration.objects.get(call=call)
    assert (config.affinity_method, config.min_affinity_threshold, config.min_reviewers_per_proposal) == (
        "combined", 0.1, 3)
