"""The call's affinity cache: all pairs stored, means on pool entries, staleness (§5.1)."""

import pytest
from django.db import connection

from referee.assignments.affinities import compute_affinities, current_affinities
from referee.assignments.models import AffinityScore
from referee.reviewers.domain import delete_profile_item
from referee.reviewers.models import ReviewerExpertise, ReviewerPublication
from tests import factories as f


@pytest.fixture
def scored(world):
    ReviewerExpertise.objects.create(profile=world.profile, expertise_keyword="ocean circulation", proficiency_level="expert")
    ReviewerPublication.objects.create(profile=world.profile, title="Ocean circulation models", publication_year=2024,
                                       abstract="Coupled ocean and atmosphere circulation.")
    world.proposal.name = "Ocean circulation under warming"
    world.proposal.save()
    other = f.profile(f.user("second"), biography="Protein folding and molecular dynamics.")
    world.entry2 = f.pool_entry(world.call, other)
    f.pool_entry(world.call, f.profile(f.user("pending")), status="pending")
    return world


def test_compute_stores_every_pair_and_entry_means(scored):
    assert compute_affinities(scored.call) == 2 * 2
    rows = AffinityScore.objects.filter(call=scored.call)
    assert rows.count() == 4
    best = rows.get(reviewer=scored.profile, proposal=scored.proposal)
    assert 0 < best.affinity_score <= 1 and best.method == "combined"
    assert best.affinity_score > rows.get(reviewer=scored.profile, proposal=scored.proposal2).affinity_score
    scored.entry.refresh_from_db()
    expected = sum(r.affinity_score for r in rows.filter(reviewer=scored.profile)) / 2
    assert scored.entry.expertise_match_score == pytest.approx(expected, abs=1e-4)


def test_recompute_drops_rows_of_reviewers_no_longer_scored(scored):
    compute_affinities(scored.call)
    scored.entry2.invitation_status = "declined"
    scored.entry2.save()
    compute_affinities(scored.call)
    assert set(AffinityScore.objects.filter(call=scored.call).values_list("reviewer_id", flat=True)) == {scored.profile.id}


def test_current_affinities_reuses_a_fresh_cache_and_recomputes_a_stale_one(scored):
    first = current_affinities(scored.call)
    stamp = AffinityScore.objects.filter(call=scored.call).values_list("computed_at", flat=True).first()
    again = current_affinities(scored.call)
    assert (again.affinity == first.affinity).all()
    assert AffinityScore.objects.filter(call=scored.call).values_list("computed_at", flat=True).first() == stamp
    ReviewerExpertise.objects.create(profile=scored.entry2.reviewer, expertise_keyword="warming", proficiency_level="basic")
    current_affinities(scored.call)
    assert AffinityScore.objects.filter(call=scored.call).values_list("computed_at", flat=True).first() > stamp


def test_no_pairs_is_not_an_error(world):
    world.entry.delete()
    assert compute_affinities(world.call) == 0
    assert current_affinities(world.call).affinity.shape == (2, 0)


def _stamp(call):
    return AffinityScore.objects.filter(call=call).values_list("computed_at", flat=True).first()


@pytest.mark.parametrize("model", [ReviewerExpertise, ReviewerPublication])
def test_deleting_what_a_score_came_from_makes_the_cache_stale(scored, model):
    current_affinities(scored.call)
    stamp = _stamp(scored.call)
    delete_profile_item(model.objects.get(profile=scored.profile), actor=scored.reviewer)
    current_affinities(scored.call)
    assert _stamp(scored.call) > stamp


def test_an_emptied_cache_is_recomputed(scored):
    """After a crash PostgreSQL empties the cache (an unlogged table): the next read refills it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = %s", [AffinityScore._meta.db_table])
            assert cursor.fetchone() == ("u",)
    first = current_affinities(scored.call)
    AffinityScore.objects.all().delete()
    again = current_affinities(scored.call)
    assert AffinityScore.objects.filter(call=scored.call).count() == 4
    assert (again.affinity == first.affinity).all()


def test_deleting_a_proposal_or_reviewer_removes_its_rows(scored):
    """The cache's foreign keys have no database constraint: Django's cascade removes the rows.
    (A call cannot be deleted while it has proposals, so its rows are gone before it is.)"""
    compute_affinities(scored.call)
    scored.proposal2.delete()
    assert set(AffinityScore.objects.values_list("proposal_id", flat=True)) == {scored.proposal.id}
    scored.entry2.reviewer.delete()
    assert list(AffinityScore.objects.values_list("proposal_id", "reviewer_id")) == [(scored.proposal.id,
                                                                                      scored.profile.id)]


@pytest.mark.parametrize("leaves", ["proposal", "reviewer"])
def test_a_proposal_or_reviewer_leaving_makes_the_cache_stale(scored, leaves):
    """Its rows stay (ignored when read) but the corpus of every other pair changed."""
    current_affinities(scored.call)
    stamp = _stamp(scored.call)
    if leaves == "proposal":
        scored.proposal2.state = "rejected"
        scored.proposal2.save()
    else:
        scored.entry2.invitation_status = "declined"
        scored.entry2.save()
    matrix = current_affinities(scored.call)
    assert _stamp(scored.call) > stamp
    assert matrix.affinity.shape == ((1, 2) if leaves == "proposal" else (2, 1))
