"""Generation with the configuration's `max_assignment_probability` (issue 14): a seed chosen per
generation (or asked for) reproduces its draw, the cap and the seed are in the report, the preview
and the audit event, a deployed preview is exactly its draw, every drawn pair keeps its
probability (at most the cap), the diversity rules' shortfalls are reported in words, a
generation job draws with the seed it was given, and the query count does not grow with the call."""

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referee.assignments.generation import deploy_preview
from referee.assignments.matching_jobs import start_generation_job
from referee.assignments.models import AssignmentItem, GenerationPreview, ProposedAssignment
from referee.core.errors import DomainError
from referee.core.models import AuditEvent
from tests import factories as f
from tests.engine.test_generation import build_call, configure, generate
from tests.engine.test_generation_diversity import affiliate
from tests.engine.test_matching_jobs import run_now

pytestmark = pytest.mark.django_db


def drawn(w) -> list[tuple]:
    """The preview's or the generation's rows: (proposal, reviewer, probability)."""
    return list(ProposedAssignment.objects.filter(call=w.call).order_by("proposal_id", "reviewer_id")
                .values_list("proposal_id", "reviewer_id", "probability"))


def items(w) -> set[tuple]:
    return set(AssignmentItem.objects.filter(batch__call=w.call).values_list("proposal_id", "pool_entry__reviewer_id"))


def generated_event() -> dict:
    return AuditEvent.objects.filter(event_type="ASSIGNMENTS_GENERATED").latest("id").context


def test_the_same_seed_draws_the_same_assignment_and_another_seed_may_not():
    w = build_call(6, 8, max_assignment_probability=0.5, max_proposals_per_reviewer=3)
    first = generate(w, dry_run=True, seed=1234)
    pairs = drawn(w)
    assert (first.seed, first.max_assignment_probability) == (1234, 0.5)
    assert generate(w, dry_run=True, seed=1234).total_affinity == first.total_affinity
    assert drawn(w) == pairs
    others = set()
    for seed in range(1, 8):
        generate(w, dry_run=True, seed=seed)
        others.add(tuple(drawn(w)))
    assert len(others) > 1  # the draw does depend on the seed
    assert all(0 < probability <= 0.5 for *_, probability in pairs)
    assert set(ProposedAssignment.objects.values_list("algorithm_used", flat=True)) == {"minmax"}  # the API's enum


def test_a_new_seed_per_generation_recorded_in_the_preview_and_the_audit_event():
    w = build_call(4, 6, max_assignment_probability=0.5)
    preview = generate(w, dry_run=True)
    assert preview.seed is not None and 0 <= preview.seed < 2**53
    stored = GenerationPreview.objects.get(call=w.call).report
    assert (stored["seed"], stored["max_assignment_probability"]) == (preview.seed, 0.5)
    assert stored["expected_total_affinity"] == preview.expected_total_affinity
    result = generate(w)  # no dry run: solved, drawn and deployed at once
    event = generated_event()
    assert (event["seed"], event["max_assignment_probability"], event["algorithm"]) == (result.seed, 0.5, "minmax")
    assert event["expected_total_affinity"] == result.expected_total_affinity
    assert event["total_affinity"] == result.total_affinity


def test_deploying_a_randomized_preview_deploys_exactly_its_draw():
    w = build_call(5, 6, max_assignment_probability=0.4, max_proposals_per_reviewer=4)
    preview = generate(w, dry_run=True)
    previewed = {(p, r) for p, r, _ in drawn(w)}
    deployed = deploy_preview(w.call, user=w.manager, preview_uuid=preview.preview_uuid)
    assert items(w) == previewed
    assert (deployed.seed, deployed.expected_total_affinity) == (preview.seed, preview.expected_total_affinity)
    assert generated_event()["seed"] == preview.seed
    rows = ProposedAssignment.objects.filter(call=w.call)
    assert all(row.is_deployed and 0 < row.probability <= 0.4 for row in rows)


def test_a_changed_cap_makes_the_preview_stale():
    w = build_call(3, 5, max_assignment_probability=0.5)
    preview = generate(w, dry_run=True)
    configure(w, max_assignment_probability=0.25)
    with pytest.raises(DomainError, match="the matching configuration changed"):
        deploy_preview(w.call, user=w.manager, preview_uuid=preview.preview_uuid)
    assert not AssignmentItem.objects.exists()


def test_the_expected_total_is_the_optimum_under_the_cap():
    scores = np.round(0.2 + 0.8 * np.random.default_rng(3).random((5, 7)), 4)
    w = build_call(5, 7, scores, max_proposals_per_reviewer=3)
    deterministic = generate(w, dry_run=True)
    assert (deterministic.seed, deterministic.max_assignment_probability, deterministic.expected_total_affinity) == (
        None, None, None)
    assert all(probability is None for *_, probability in drawn(w))
    configure(w, max_assignment_probability=1)
    assert generate(w, dry_run=True).expected_total_affinity == pytest.approx(deterministic.total_affinity, abs=1e-3)
    configure(w, max_assignment_probability=0.5)
    capped = generate(w, dry_run=True)
    assert capped.expected_total_affinity < deterministic.total_affinity
    # Every draw fills every place (integral demands stay integral), and the draws average the expectation.
    totals = [generate(w, dry_run=True, seed=seed).total_affinity for seed in range(40)]
    assert np.mean(totals) == pytest.approx(capped.expected_total_affinity, rel=0.05)
    assert ProposedAssignment.objects.filter(call=w.call).count() == 10


def nobody_from_abroad(q):
    """Two proposals wanting one reviewer from abroad each; every reviewer works in France, the
    country of proposal 0's applicants (proposal 1's applicants' country is unknown: exempt)."""
    w = build_call(2, 4, min_reviewers_from_other_countries=1, max_assignment_probability=q)
    affiliate(w, ["A", "B", "C", "D"], ["FR"] * 4)
    applicants = f.customer("Applicant University")
    applicants.country = "FR"
    applicants.save()
    w.proposals[0].organization = applicants
    w.proposals[0].save()
    return w


@pytest.mark.parametrize("q", [None, 0.5])
def test_rule_shortfalls_are_reported_in_words(q):
    w = nobody_from_abroad(q)
    result = generate(w, dry_run=True)
    (shortfall,) = result.rule_shortfalls
    assert (shortfall["rule"], shortfall["proposal_uuid"], shortfall["reached"]) == (
        "min_foreign", w.proposals[0].uuid.hex, 0)
    assert shortfall["message"] == f"only 0 eligible reviewers outside FR for proposal “{w.proposals[0].name}”"
    assert GenerationPreview.objects.get(call=w.call).report["rule_shortfalls"] == result.rule_shortfalls
    generate(w)
    assert generated_event()["rule_shortfalls"] == result.rule_shortfalls


def _queries(n_proposals, n_reviewers) -> int:
    w = build_call(n_proposals, n_reviewers, seed=n_proposals, max_assignment_probability=0.5)
    with CaptureQueriesContext(connection) as ctx:
        assert generate(w).items_created > 0
    return len(ctx)


def test_query_count_does_not_grow_with_the_call():
    assert _queries(4, 6) == _queries(12, 15)


def test_a_generation_job_draws_with_the_seed_it_was_given():
    w = build_call(4, 6, max_assignment_probability=0.5)
    direct = generate(w, dry_run=True, seed=99)
    pairs = drawn(w)
    job = run_now(start_generation_job, w.call, user=w.manager, seed=99)
    assert job.state == "completed" and job.parameters["seed"] == 99
    assert (job.result["seed"], job.result["total_affinity"]) == (99, direct.total_affinity)
    assert drawn(w) == pairs
