"""`generate_assignments` (§5.2–§5.5): eligibility, scores, demands (top-up), capacities, lower
loads, skipped proposals, preview rows, determinism and a query count independent of the size.

Affinities are written straight into the cache with a `computed_at` in the future, so the cache
stays fresh whatever the test changes afterwards and every score is the one the test chose."""

import uuid
from datetime import timedelta
from types import SimpleNamespace

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referee.assignments.generation import NO_ELIGIBLE, NO_POOL, NOT_ENOUGH, generate_assignments
from referee.assignments.models import AffinityScore, AssignmentBatch, AssignmentItem, ProposedAssignment
from referee.assignments.requested import NOT_IN_CALL, NOT_OPEN
from referee.calls.models import MatchingConfiguration
from referee.conflicts.models import ConflictOfInterest
from referee.core.errors import DomainError
from referee.core.models import AuditEvent
from referee.reviewers.models import ReviewerBid, ReviewerExpertise
from referee.reviews.models import Review
from tests import factories as f

pytestmark = pytest.mark.django_db


def set_scores(call, proposals, entries, scores) -> None:
    """Cache `scores` (P×R, rows = proposals) as the call's affinities, fresh for a day."""
    AffinityScore.objects.filter(call=call).delete()
    future = timezone.now() + timedelta(days=1)
    AffinityScore.objects.bulk_create([
        AffinityScore(call=call, proposal=p, reviewer_id=e.reviewer_id, affinity_score=float(scores[i][j]),
                      keyword_score=0.0, text_score=float(scores[i][j]), method="combined", keyword_weight=0.4,
                      text_weight=0.6, computed_at=future)
        for i, p in enumerate(proposals) for j, e in enumerate(entries)
    ])


def build_call(n_proposals, n_reviewers, scores=None, *, seed=0, **config) -> SimpleNamespace:
    """A call with a manager, `n_proposals` submitted proposals by one applicant and
    `n_reviewers` accepted pool entries; `config` overrides the matching configuration."""
    w = SimpleNamespace()
    w.manager = f.user()
    w.call = f.call(managers=[w.manager])
    defaults = {"min_reviewers_per_proposal": 2, "max_reviewers_per_proposal": 5, "min_proposals_per_reviewer": 0,
                "max_proposals_per_reviewer": 10, "min_affinity_threshold": 0.1}
    MatchingConfiguration.objects.filter(call=w.call).update(**{**defaults, **config})
    w.call.refresh_from_db()
    w.round = f.round_(w.call)
    w.applicant = f.user()
    w.proposals = [f.proposal(w.round, created_by=w.applicant) for _ in range(n_proposals)]
    w.entries = [f.pool_entry(w.call, f.profile(f.user())) for _ in range(n_reviewers)]
    if scores is None:
        scores = np.round(0.2 + 0.8 * np.random.default_rng(seed).random((n_proposals, n_reviewers)), 4)
    w.scores = np.asarray(scores, dtype=float)
    set_scores(w.call, w.proposals, w.entries, w.scores)
    return w


def generate(w, **kwargs):
    return generate_assignments(w.call, user=w.manager, **kwargs)


def assigned(w, proposal=None) -> set:
    """Pool entry ids holding an item of `proposal` (any proposal if None)."""
    items = AssignmentItem.objects.filter(batch__call=w.call)
    if proposal is not None:
        items = items.filter(proposal=proposal)
    return set(items.values_list("pool_entry_id", flat=True))


def configure(w, **fields):
    MatchingConfiguration.objects.filter(call=w.call).update(**fields)


class TestDeployment:
    def test_items_batches_preview_rows_and_audit(self):
        w = build_call(4, 4)
        result = generate(w)
        assert (result.proposals_processed, result.items_created, result.skipped_proposals) == (4, 8, [])
        items = AssignmentItem.objects.filter(batch__call=w.call)
        assert items.count() == 8 and set(items.values_list("status", flat=True)) == {"pending"}
        for item in items.select_related("pool_entry"):
            i, j = w.proposals.index(item.proposal), [e.id for e in w.entries].index(item.pool_entry_id)
            assert item.affinity_score == pytest.approx(w.scores[i, j]) and not item.has_coi
        batches = AssignmentBatch.objects.filter(call=w.call)
        assert result.batches_created == batches.count() == len(assigned(w))
        assert {(b.status, b.source, b.created_by_id) for b in batches} == {("draft", "algorithm", w.manager.id)}
        rows = ProposedAssignment.objects.filter(call=w.call)
        assert rows.count() == 8 and all(r.is_deployed and r.deployed_by == w.manager for r in rows)
        for proposal in w.proposals:
            ranked = list(rows.filter(proposal=proposal).order_by("rank").values_list("rank", "affinity_score"))
            assert [r for r, _ in ranked] == [1, 2] and ranked[0][1] >= ranked[1][1]
        assert result.total_affinity == pytest.approx(sum(i.affinity_score for i in items), abs=1e-3)
        event = AuditEvent.objects.get(event_type="ASSIGNMENTS_GENERATED")
        assert (event.actor, event.call, event.context["items_created"]) == (w.manager, w.call, 8)
        assert AuditEvent.objects.filter(event_type="ASSIGNMENT_BATCH_CREATED").count() == result.batches_created

    def test_maximises_the_total_score(self):
        # Greedy would give p0 its best reviewer r0 and leave p1 with 0.1; the optimum crosses over.
        w = build_call(2, 2, [[0.9, 0.8], [0.85, 0.1]], min_reviewers_per_proposal=1, max_proposals_per_reviewer=1,
                       min_affinity_threshold=0.0)
        result = generate(w)
        assert assigned(w, w.proposals[0]) == {w.entries[1].id} and assigned(w, w.proposals[1]) == {w.entries[0].id}
        assert result.total_affinity == pytest.approx(1.65)

    def test_existing_draft_is_reused_whatever_its_source(self):
        w = build_call(1, 1, [[0.9]], min_reviewers_per_proposal=1)
        manual = f.batch(w.entries[0], source="manual")
        result = generate(w)
        assert (result.batches_created, result.items_created) == (0, 1)
        assert AssignmentItem.objects.get().batch == manual

    def test_dry_run_writes_only_the_preview(self):
        w = build_call(3, 3)
        preview = generate(w, dry_run=True)
        assert (preview.items_created, preview.batches_created) == (6, 3)
        assert not AssignmentItem.objects.exists() and not AssignmentBatch.objects.exists()
        assert not AuditEvent.objects.filter(event_type="ASSIGNMENTS_GENERATED").exists()
        rows = ProposedAssignment.objects.filter(call=w.call)
        assert rows.count() == 6 and not rows.filter(is_deployed=True).exists()
        again = generate(w, dry_run=True, reviewers_per_proposal=1)
        assert ProposedAssignment.objects.filter(call=w.call).count() == again.items_created == 3
        deployed = generate(w)
        assert (deployed.items_created, deployed.total_affinity) == (6, preview.total_affinity)
        assert ProposedAssignment.objects.filter(call=w.call, is_deployed=True).count() == 6
        assert not ProposedAssignment.objects.filter(call=w.call, is_deployed=False).exists()

    def test_a_pair_re_offered_after_a_cancelled_batch_updates_its_preview_row(self):
        from referee.assignments.domain import cancel_batch

        w = build_call(1, 2, [[0.9, 0.5]], min_reviewers_per_proposal=1)
        generate(w)
        first = ProposedAssignment.objects.get()
        cancel_batch(AssignmentBatch.objects.get(), actor=w.manager)
        assert generate(w).items_created == 1
        assert AssignmentItem.objects.filter(pool_entry=w.entries[0], status="pending").count() == 1
        row = ProposedAssignment.objects.get()
        assert (row.uuid, row.is_deployed, row.rank) == (first.uuid, True, 1) and row.deployed_at > first.deployed_at

    def test_an_item_written_meanwhile_is_a_refusal_not_a_500(self, monkeypatch):
        from referee.assignments import generation

        w = build_call(1, 1, [[0.9]], min_reviewers_per_proposal=1)
        original = generation.build_candidates

        def racing(*args, **kwargs):
            candidates = original(*args, **kwargs)
            f.item(f.batch(w.entries[0], status="sent"), w.proposals[0])  # as a concurrent writer would
            return candidates

        monkeypatch.setattr(generation, "build_candidates", racing)
        with pytest.raises(DomainError):
            generate(w)

    def test_deterministic_and_hungarian_equals_minmax(self):
        w = build_call(12, 8, min_proposals_per_reviewer=2, max_proposals_per_reviewer=4, seed=7)
        first = generate(w, dry_run=True)
        pairs = set(ProposedAssignment.objects.values_list("proposal_id", "reviewer_id", "rank"))
        second = generate(w, dry_run=True)
        assert set(ProposedAssignment.objects.values_list("proposal_id", "reviewer_id", "rank")) == pairs
        assert first == second
        configure(w, algorithm="hungarian")
        hungarian = generate(w, dry_run=True)
        assert hungarian.total_affinity == pytest.approx(first.total_affinity, abs=1e-4)
        assert hungarian.items_created == first.items_created
        assert ProposedAssignment.objects.first().algorithm_used == "hungarian"


class TestEligibility:
    def test_every_exclusion_of_section_5_2(self):
        w = build_call(1, 10, [[0.9] * 9 + [0.05]], min_reviewers_per_proposal=10, max_reviewers_per_proposal=10)
        p, e = w.proposals[0], w.entries
        p.team.add(e[0].reviewer.user)  # team member
        ConflictOfInterest.objects.create(reviewer=e[1].reviewer, proposal=p, call=w.call, coi_type="INST_SAME",
                                          severity="apparent", rule="management_allowed")  # blocking
        ConflictOfInterest.objects.create(reviewer=e[2].reviewer, proposal=p, call=w.call, coi_type="COAUTH_OLD",
                                          severity="potential", rule="disclosure_only")  # not blocking
        ReviewerBid.objects.create(reviewer=e[3].reviewer, proposal=p, bid="conflict")
        e[4].reviewer.available_for_reviews = False
        e[4].reviewer.save()
        f.item(f.batch(e[5], status="sent"), p, status="declined")  # never re-offered
        f.item(f.batch(e[6], status="cancelled"), p, status="expired")  # may be offered again
        f.item(f.batch(e[7], status="expired"), p, status="expired")  # expired in an expired batch: not
        creator = f.pool_entry(w.call, f.profile(w.applicant))
        set_scores(w.call, w.proposals, [*e, creator], [[0.9] * 9 + [0.05, 0.9]])
        result = generate(w)
        assert assigned(w, p) - {e[5].id, e[6].id, e[7].id} == {e[2].id, e[8].id}
        assert AssignmentItem.objects.filter(pool_entry=e[6], status="pending").count() == 1
        # Issue 10: each entry also names the rule that left the proposal short and what would help.
        assert result.skipped_proposals == [{
            "proposal_uuid": p.uuid.hex, "proposal_name": p.name, "reason": NOT_ENOUGH, "required": 10,
            "assigned": 3, "blocking_rule": "team_membership",
            "suggestion": "2 of the 11 reviewers in the pool created this proposal or are on its team and may not "
                          "review it; 9 reviewers are left for 10 places: invite more reviewers to the pool."}]
        assert result.removed_pairs == {"team_membership": 2, "conflict_bids": 1, "conflicts": 1,
                                        "unavailable_reviewers": 1, "existing_assignments": 2, "threshold": 1,
                                        "capacity": 0}
        assert (result.candidate_pairs, result.eligible_pairs) == (11, 3)
        assert not AssignmentItem.objects.filter(status="coi_blocked").exists()

    def test_creator_without_team_row_is_excluded(self):
        w = build_call(1, 1, [[0.9]], min_reviewers_per_proposal=1)
        w.proposals[0].created_by = w.entries[0].reviewer.user
        w.proposals[0].save()
        set_scores(w.call, w.proposals, w.entries, [[0.9]])
        assert generate(w).skipped_proposals[0]["reason"] == NO_ELIGIBLE

    def test_bid_weights_enter_the_score(self):
        scores = [[0.5, 0.4, 0.45]]
        w = build_call(1, 3, scores, min_reviewers_per_proposal=1, bid_weight=0.3)
        ReviewerBid.objects.create(reviewer=w.entries[1].reviewer, proposal=w.proposals[0], bid="eager")
        ReviewerBid.objects.create(reviewer=w.entries[0].reviewer, proposal=w.proposals[0], bid="not_willing")
        result = generate(w, dry_run=True)
        row = ProposedAssignment.objects.get()
        assert row.reviewer_id == w.entries[1].reviewer_id and row.affinity_score == 0.4
        assert result.total_affinity == pytest.approx(0.4)  # reported as affinity, not score
        configure(w, use_reviewer_bids=False)
        generate(w, dry_run=True)
        assert ProposedAssignment.objects.get().reviewer_id == w.entries[0].reviewer_id


class TestDemandsAndCapacities:
    def test_top_up_counts_active_items_only(self):
        w = build_call(1, 8, [[0.9] * 8], min_reviewers_per_proposal=4, max_reviewers_per_proposal=4)
        p, e = w.proposals[0], w.entries
        f.item(f.batch(e[0]), p)  # pending in a draft: active
        f.item(f.batch(e[1], status="sent"), p)  # pending in a sent batch: active
        accepted = f.item(f.batch(e[2], status="responded"), p, status="accepted")
        accepted.review = Review.objects.create(proposal=p, reviewer=e[2].reviewer.user, state="rejected")
        accepted.save()  # accepted with a rejected review: not active
        f.item(f.batch(e[3], status="responded"), p, status="declined")  # not active
        result = generate(w)
        assert result.items_created == 2
        result = generate(w)
        assert (result.items_created, result.batches_created, result.skipped_proposals) == (0, 0, [])

    def test_covered_call_gets_nothing_new(self):
        w = build_call(5, 6)
        assert generate(w).items_created == 10
        again = generate(w)
        assert (again.items_created, again.batches_created, again.skipped_proposals) == (0, 0, [])
        assert AssignmentItem.objects.count() == 10

    def test_reviewers_per_proposal_is_capped_by_the_maximum(self):
        w = build_call(1, 6, [[0.9] * 6], max_reviewers_per_proposal=3)
        assert generate(w, reviewers_per_proposal=5).items_created == 3

    def test_capacity_from_open_assignments_and_limits(self):
        w = build_call(4, 2, [[0.9, 0.2]] * 4, min_reviewers_per_proposal=1, max_proposals_per_reviewer=3)
        best = w.entries[0]
        other = f.proposal(w.round, state="accepted")  # not open: the cached pairs stay complete
        Review.objects.create(proposal=other, reviewer=best.reviewer.user, state="in_review")  # open: 1
        generate(w)
        assert AssignmentItem.objects.filter(pool_entry=best).count() == 2  # min(3, 5) − 1
        AssignmentItem.objects.all().delete()
        best.max_assignments = 2
        best.save()
        generate(w)
        assert AssignmentItem.objects.filter(pool_entry=best).count() == 1  # min(3, 2) − 1

    def test_lower_loads_spread_the_work_and_unmet_minimums_are_reported(self):
        # Reviewer 0 is best everywhere; a lower load of 2 makes the others take some too.
        scores = [[0.9, 0.5, 0.5, 0.3]] * 4
        w = build_call(4, 4, scores, min_reviewers_per_proposal=1, min_proposals_per_reviewer=1,
                       max_proposals_per_reviewer=4)
        result = generate(w)
        loads = sorted(AssignmentItem.objects.filter(pool_entry=e).count() for e in w.entries)
        assert loads == [1, 1, 1, 1] and result.unmet_reviewer_minimums == []
        w2 = build_call(1, 3, [[0.9, 0.8, 0.7]], min_reviewers_per_proposal=1, min_proposals_per_reviewer=2)
        result = generate(w2)
        assert len(result.unmet_reviewer_minimums) == 3
        assert {u["required"] for u in result.unmet_reviewer_minimums} == {2}
        assert sorted(u["assigned"] for u in result.unmet_reviewer_minimums) == [0, 0, 1]


class TestSkippedProposals:
    def test_reasons_for_named_proposals(self):
        w = build_call(2, 1, [[0.9], [0.9]], min_reviewers_per_proposal=2)
        closed = f.proposal(w.round, state="draft")
        foreign = f.proposal(f.round_(f.call()))
        unknown = uuid.uuid4()
        keys = [w.proposals[0].uuid, closed.uuid, foreign.uuid, unknown, w.proposals[0].uuid]
        result = generate(w, proposal_uuids=keys)
        assert result.proposals_processed == 1
        # Issue 10 adds `blocking_rule` and `suggestion`: null where the request itself was the cause.
        unexplained = {"blocking_rule": None, "suggestion": None}
        assert result.skipped_proposals == [
            {"proposal_uuid": closed.uuid.hex, "proposal_name": closed.name, "reason": NOT_OPEN,
             "required": 0, "assigned": 0, **unexplained},
            {"proposal_uuid": foreign.uuid.hex, "proposal_name": "", "reason": NOT_IN_CALL, "required": 0,
             "assigned": 0, **unexplained},
            {"proposal_uuid": unknown.hex, "proposal_name": "", "reason": NOT_IN_CALL, "required": 0, "assigned": 0,
             **unexplained},
            {"proposal_uuid": w.proposals[0].uuid.hex, "proposal_name": w.proposals[0].name, "reason": NOT_ENOUGH,
             "required": 2, "assigned": 1, "blocking_rule": "pool_size",
             "suggestion": "The pool has 1 reviewer who accepted and this proposal needs 2 more: invite more "
                           "reviewers to the pool, or ask for fewer reviewers_per_proposal "
                           "(min_reviewers_per_proposal is 2)."},
        ]
        assert assigned(w, w.proposals[1]) == set()

    def test_no_accepted_reviewers_in_pool(self):
        w = build_call(2, 0, np.zeros((2, 0)))
        f.pool_entry(w.call, f.profile(f.user()), status="pending")
        result = generate(w)
        assert [(s["reason"], s["required"], s["assigned"]) for s in result.skipped_proposals] == [(NO_POOL, 2, 0)] * 2
        assert result.min_proposal_affinity == 0.0

    def test_no_eligible_reviewers(self):
        w = build_call(1, 2, [[0.05, 0.02]])
        result = generate(w)
        assert [(s["reason"], s["required"], s["assigned"]) for s in result.skipped_proposals] == [(NO_ELIGIBLE, 2, 0)]

def test_affinities_are_computed_when_the_cache_is_stale():
    w = build_call(2, 2, min_reviewers_per_proposal=1, max_proposals_per_reviewer=1, min_affinity_threshold=0.0)
    AffinityScore.objects.all().delete()
    ocean, proteins = w.proposals
    ocean.name, ocean.description = "Ocean circulation", "Ocean circulation and sea ice in a warming climate."
    proteins.name, proteins.description = "Protein folding", "Molecular dynamics of protein folding."
    ocean.save()
    proteins.save()
    ReviewerExpertise.objects.create(profile=w.entries[0].reviewer, expertise_keyword="protein folding",
                                     proficiency_level="expert")
    ReviewerExpertise.objects.create(profile=w.entries[1].reviewer, expertise_keyword="ocean circulation",
                                     proficiency_level="expert")
    generate(w)
    assert AffinityScore.objects.filter(call=w.call).count() == 4
    assert assigned(w, ocean) == {w.entries[1].id} and assigned(w, proteins) == {w.entries[0].id}


def _queries(n_proposals, n_reviewers, seed, *, cached: bool) -> int:
    w = build_call(n_proposals, n_reviewers, seed=seed, min_proposals_per_reviewer=1, min_affinity_threshold=0.0)
    p = w.proposals
    # One of each kind of row generation reads, so every loop has something to chew on.
    ConflictOfInterest.objects.create(reviewer=w.entries[0].reviewer, proposal=p[0], call=w.call, coi_type="INST_SAME",
                                      severity="real", rule="recusal_required")
    ReviewerBid.objects.create(reviewer=w.entries[1].reviewer, proposal=p[1], bid="eager")
    f.item(f.batch(w.entries[2], status="sent"), p[2])
    Review.objects.create(proposal=p[3], reviewer=w.entries[3].reviewer.user, state="in_review")
    f.batch(w.entries[1])  # a draft to reuse
    if not cached:
        AffinityScore.objects.all().delete()
    with CaptureQueriesContext(connection) as ctx:
        result = generate(w)
    assert result.items_created > 0
    return len(ctx)


@pytest.mark.parametrize("cached", [True, False])
def test_query_count_does_not_grow_with_proposals_and_reviewers(cached):
    """All pairs are written by one statement (a COPY on PostgreSQL, one executemany on SQLite)."""
    assert _queries(5, 4, 1, cached=cached) == _queries(20, 12, 2, cached=cached)


def test_affinity_cache_round_trip():
    """What the bulk write stores (one binary COPY on PostgreSQL) reads back identically, with
    valid UUIDs and the computation time; a null partial score reads as 0. The COPY writes
    version-7 UUIDs stamped with that time, increasing in (proposal, reviewer) order."""
    from referee.assignments.affinities import compute_affinities, current_affinities

    w = build_call(3, 2)
    ReviewerExpertise.objects.create(profile=w.entries[0].reviewer, expertise_keyword="proposal",
                                     proficiency_level="expert")
    before = timezone.now()
    assert compute_affinities(w.call) == 6
    rows = AffinityScore.objects.filter(call=w.call)
    assert len({r.uuid for r in rows}) == 6
    if connection.vendor == "postgresql":
        by_pair = sorted(rows, key=lambda r: (r.proposal_id, r.reviewer_id))
        assert [r.uuid for r in by_pair] == sorted(r.uuid for r in rows)
        assert {r.uuid.version for r in rows} == {7}
        assert {r.uuid.int >> 80 for r in rows} == {int(rows[0].computed_at.timestamp() * 1000)}
    else:
        assert {r.uuid.version for r in rows} == {4}
    assert all(before <= r.computed_at <= timezone.now() and r.method == "combined" for r in rows)
    assert all(r.keyword_weight == 0.4 and r.text_weight == 0.6 for r in rows)
    stored = {(r.proposal_id, r.reviewer_id): (r.affinity_score, r.keyword_score, r.text_score) for r in rows}
    stamps = set(rows.values_list("uuid", "computed_at"))
    matrix = current_affinities(w.call)
    assert set(rows.values_list("uuid", "computed_at")) == stamps  # read back, not recomputed
    for i, pid in enumerate(matrix.proposal_ids):
        for j, entry in enumerate(matrix.entries):
            assert (matrix.affinity[i, j], matrix.keyword[i, j], matrix.text[i, j]) == stored[(pid, entry.reviewer_id)]
    AffinityScore.objects.filter(call=w.call).update(keyword_score=None)
    assert not current_affinities(w.call).keyword.any()


@pytest.mark.django_db(transaction=True)
def test_scoring_runs_outside_any_transaction_and_its_rows_are_stamped_before_it(monkeypatch):
    """Scoring a large call takes seconds: it must not hold the call's locks (on SQLite, the whole
    database's write lock) meanwhile. Rows carry the time before the inputs were read, so an
    input changed during the scoring leaves them stale rather than trusted."""
    from django.db import transaction

    from referee.assignments import affinities

    w = build_call(3, 2, min_affinity_threshold=0)
    AffinityScore.objects.filter(call=w.call).delete()  # no cache: generation scores the pairs
    seen = []
    real = affinities.compute_affinity

    def spy(*args, **kwargs):
        seen.append((transaction.get_connection().in_atomic_block, timezone.now()))
        return real(*args, **kwargs)

    monkeypatch.setattr(affinities, "compute_affinity", spy)
    assert generate(w, dry_run=True).items_created > 0
    [(in_transaction, scored_at)] = seen
    assert not in_transaction
    stamps = set(AffinityScore.objects.filter(call=w.call).values_list("computed_at", flat=True))
    assert len(stamps) == 1 and stamps.pop() <= scored_at
    assert generate(w, dry_run=True).items_created > 0 and len(seen) == 1  # then read from the cache
