"""The call's panel diversity rules as the matching library's arrays (issue 14).

A reviewer's institution and country come from their current affiliation (no end date; the
primary one first, then the latest start): the institution is the organisation (or, without one,
the organisation's name as typed), the country the affiliation's own or else its organisation's.
A proposal's applicants' country is its organisation's. Unknown stays unknown (−1): the rules
then leave that reviewer or proposal alone (referee.matching.diversity). Two queries whatever
the size of the call.
"""

from __future__ import annotations

import numpy as np

from referee.core.models import Customer
from referee.matching.diversity import DiversityRules
from referee.reviewers.enums import CareerStage
from referee.reviewers.models import ReviewerAffiliation

STAGES = list(CareerStage.values)


def diversity_settings(config) -> tuple:
    """The configuration's rule fields (a preview's fingerprint includes them)."""
    return (config.max_reviewers_per_institution, config.max_reviewers_per_country,
            config.min_reviewers_from_other_countries, sorted(config.min_reviewers_per_career_stage.items()))


def rules_parts(rules: DiversityRules | None) -> tuple:
    """What a preview's fingerprint keeps of the rules' data (institutions, countries, stages)."""
    if rules is None:
        return ()
    return (rules.institution, rules.country, rules.applicant_countries, rules.stage, rules.country_names)


def uses_rules(config) -> bool:
    return (config.max_reviewers_per_institution is not None or config.max_reviewers_per_country is not None
            or config.min_reviewers_from_other_countries > 0
            or any(config.min_reviewers_per_career_stage.values()))


def current_affiliations(profile_ids) -> dict[int, ReviewerAffiliation]:
    """Each profile's current affiliation, whose institution and country the rules read (one query)."""
    current: dict[int, ReviewerAffiliation] = {}
    rows = (ReviewerAffiliation.objects.filter(profile_id__in=profile_ids, end_date=None)
            .select_related("organization").order_by("profile_id", "-is_primary", "-start_date", "id"))
    for row in rows:
        current.setdefault(row.profile_id, row)
    return current


def institution_name(row: ReviewerAffiliation) -> str:
    return row.organization.name if row.organization else row.organization_name.strip()


def diversity_rules(config, proposals, entries, held=None) -> DiversityRules | None:
    """The rules of `config` over `proposals` (rows) and pool `entries` (columns), or None.
    `held`: the (row, column) pairs already on the panels, int[H, 2], which the rules count too."""
    if not uses_rules(config):
        return None
    current = current_affiliations([e.reviewer_id for e in entries])
    org_country = dict(Customer.objects.filter(id__in={p.organization_id for p in proposals} - {None})
                       .values_list("id", "country"))
    codes: dict[str, int] = {}
    institutions: dict[object, int] = {}

    def country_id(code: str) -> int:
        return codes.setdefault(code, len(codes)) if code else -1

    institution, country = [], []
    for entry in entries:
        row = current.get(entry.reviewer_id)
        if row is None:
            institution.append(-1)
            country.append(-1)
            continue
        key = row.organization_id or row.organization_name.strip().lower() or None
        institution.append(-1 if key is None else institutions.setdefault(key, len(institutions)))
        country.append(country_id(row.country or (row.organization.country if row.organization else "")))
    applicant = [country_id(org_country.get(p.organization_id, "")) for p in proposals]
    mask = np.zeros((len(proposals), max(len(codes), 1)), dtype=bool)
    for i, c in enumerate(applicant):
        if c >= 0:
            mask[i, c] = True
    stage = [STAGES.index(e.reviewer.career_stage) if e.reviewer.career_stage in STAGES else -1 for e in entries]
    minimums = config.min_reviewers_per_career_stage
    return DiversityRules(
        institution=np.array(institution, dtype=np.int64), country=np.array(country, dtype=np.int64),
        applicant_countries=mask, stage=np.array(stage, dtype=np.int64),
        max_per_institution=config.max_reviewers_per_institution,
        max_per_country=config.max_reviewers_per_country,
        min_foreign=config.min_reviewers_from_other_countries,
        min_per_stage=np.array([minimums.get(s, 0) for s in STAGES], dtype=np.int64) if any(minimums.values()) else None,
        country_names=tuple(codes), stage_names=tuple(STAGES), held=held)
