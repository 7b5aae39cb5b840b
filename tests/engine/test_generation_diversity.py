"""Generation under the call's diversity rules (issue 14): the configuration's rule fields and the
reviewers' affiliations, countries and career stages reach the solver, and every algorithm's
assignment keeps the rules; no rule, the same assignment as before; constant queries."""

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referee.assignments.generation import deploy_preview
from referee.assignments.models import AssignmentItem
from referee.core.errors import DomainError
from referee.reviewers.models import ReviewerAffiliation
from tests import factories as f
from tests.engine.test_generation import build_call, configure, generate

pytestmark = pytest.mark.django_db


def affiliate(w, institutions, countries, stages=None):
    """Reviewer j works at organisation `institutions[j]` in `countries[j]` (an old, ended
    affiliation elsewhere too, which must not count)."""
    orgs = {}
    for j, entry in enumerate(w.entries):
        org = orgs.setdefault(institutions[j], f.customer(f"Institute {institutions[j]}"))
        org.country = countries[j]
        org.save()
        profile = entry.reviewer
        ReviewerAffiliation.objects.create(profile=profile, organization=org, organization_name=org.name,
                                           is_primary=True)
        ReviewerAffiliation.objects.create(profile=profile, organization_name="Former employer",
                                           start_date="2001-01-01", end_date="2005-01-01", country="US")
        if stages:
            profile.career_stage = stages[j]
            profile.save()


def applicants_from(country: str, *proposals) -> None:
    """The proposals' applicants' organisation is in `country`."""
    organisation = f.customer("Applicant University")
    organisation.country = country
    organisation.save()
    for proposal in proposals:
        proposal.organization = organisation
        proposal.save()


# Five reviewers (top-up and preview-edit tests): 0, 1 at institution A in Germany, 2 at B in
# France, 3 at C in Germany, 4 at D in the Netherlands.
FIVE = (["A", "A", "B", "C", "D"], ["DE", "DE", "FR", "DE", "NL"])


def panels(w) -> list[set]:
    return [set(AssignmentItem.objects.filter(proposal=p).values_list("pool_entry_id", flat=True))
            for p in w.proposals]


@pytest.mark.parametrize("algorithm", ["minmax", "fairflow", "hungarian"])
def test_one_per_institution_and_one_from_abroad(algorithm):
    # Reviewers 0–2 (the best for everyone) share an institution in Germany, the applicants' country.
    scores = np.tile([0.9, 0.85, 0.8, 0.4, 0.3, 0.2], (3, 1))
    w = build_call(3, 6, scores, algorithm=algorithm, max_proposals_per_reviewer=3)
    affiliate(w, ["A", "A", "A", "B", "C", "D"], ["DE", "DE", "DE", "DE", "FR", "NL"])
    applicants_from("DE", *w.proposals)
    before = generate(w, dry_run=True)
    assert before.total_affinity == pytest.approx(3 * (0.9 + 0.85))
    configure(w, max_reviewers_per_institution=1, min_reviewers_from_other_countries=1)
    generate(w)
    institution = {e.id: k for e, k in zip(w.entries, "AAABCD", strict=True)}
    abroad = {w.entries[4].id, w.entries[5].id}
    for panel in panels(w):
        assert len(panel) == 2
        assert len({institution[e] for e in panel}) == 2  # one per institution
        assert panel & abroad  # one from outside Germany


def test_career_stage_minimum_and_no_rules_change_nothing():
    scores = np.tile([0.9, 0.8, 0.7, 0.2], (2, 1))
    w = build_call(2, 4, scores, max_proposals_per_reviewer=2)
    affiliate(w, ["A", "B", "C", "D"], ["", "", "", ""], ["postdoc", "postdoc", "doctoral", "senior"])
    plain = generate(w, dry_run=True)
    configure(w, min_reviewers_per_career_stage={"senior": 0})
    assert generate(w, dry_run=True).total_affinity == plain.total_affinity  # a zero minimum is no rule
    configure(w, min_reviewers_per_career_stage={"senior": 1})
    generate(w)
    senior = w.entries[3].id
    assert all(senior in panel for panel in panels(w))


def test_rules_the_solver_cannot_take_are_a_refusal_in_words(monkeypatch):
    from referee.matching.solvers import crossing
    monkeypatch.setattr(crossing, "MILP_PAIRS", 5)
    w = build_call(3, 4, max_reviewers_per_institution=1, min_reviewers_per_career_stage={"senior": 1})
    affiliate(w, ["A", "A", "B", "C"], ["DE", "DE", "FR", "FR"], ["senior", "postdoc", "senior", "doctoral"])
    with pytest.raises(DomainError, match="these diversity rules cross"):
        generate(w)
    assert not AssignmentItem.objects.exists()


def test_a_preview_is_stale_once_a_rule_or_its_data_changes():
    w = build_call(2, 4, max_reviewers_per_institution=1)
    affiliate(w, ["A", "A", "B", "C"], ["DE", "DE", "FR", "FR"])
    preview = generate(w, dry_run=True).preview_uuid
    configure(w, max_reviewers_per_institution=2)
    with pytest.raises(DomainError, match="out of date"):
        deploy_preview(w.call, user=w.manager, preview_uuid=preview)
    configure(w, max_reviewers_per_institution=1)
    preview = generate(w, dry_run=True).preview_uuid
    ReviewerAffiliation.objects.filter(profile=w.entries[1].reviewer, end_date=None).update(
        organization=None, organization_name="Elsewhere")
    with pytest.raises(DomainError, match="out of date"):
        deploy_preview(w.call, user=w.manager, preview_uuid=preview)
    assert not AssignmentItem.objects.exists()


def _queries(n_proposals, n_reviewers) -> int:
    w = build_call(n_proposals, n_reviewers, seed=n_proposals, max_reviewers_per_institution=1,
                   min_reviewers_from_other_countries=1)
    affiliate(w, [j % 3 for j in range(n_reviewers)], ["DE", "FR", "NL"] * n_reviewers,
              ["senior", "postdoc"] * n_reviewers)
    with CaptureQueriesContext(connection) as ctx:
        assert generate(w).items_created > 0
    return len(ctx)


def test_query_count_does_not_grow_with_the_call():
    assert _queries(4, 6) == _queries(12, 15)
