"""Automated conflict-of-interest detection (contract §5.7), reviewers × proposals in bulk.

The proposals are indexed once (by user id, e-mail, normalised name, surname and initial, ORCID,
organisation id and name, title and DOI); each reviewer then looks up only the proposals sharing
one of its keys, so the work grows with the matches, never with the number of reviewer × proposal
pairs. Every detector also counts what it checked and left out (`conflict_report`).

Refinements of the contract's wording, all to avoid obvious false positives:
- a co-author who is the reviewer (same ORCID when both are known, else a name that can be the
  reviewer's by `names.match_rule`) is skipped, and a reviewer is never found to have co-authored
  with itself;
- co-authors are team members by ORCID when both are known, else by `names.match_rule` (an initial
  matches only a name given as an initial; written-out first names must agree);
- publications without a year cannot be placed in the look-back window and are ignored; papers
  with neither DOI nor title count individually;
- a proposal with the title (normalised) or DOI of one of the reviewer's publications is the
  reviewer's own work: ROLE_NAMED, with the reviewer as the conflicting person (issue 10).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date

from .coauthorship import detect_coauthorship
from .conflict_records import (
    COAUTH_OLD,
    COAUTH_RECENT,
    COI_TYPES,
    DETECTOR_OF,
    INST_FORMER,
    INST_SAME,
    ROLE_NAMED,
    Affiliation,
    Coauthor,
    DetectionConfig,
    Finding,
    Person,
    ProposalRecord,
    Publication,
    ReviewerRecord,
)
from .conflict_report import COAUTHORSHIP, INSTITUTIONAL, NAMED_PERSONNEL, DetectionReport, Tally
from .proposal_index import ProposalIndex, folded_email, name_keys
from .text import normalize_doi, normalize_key

__all__ = [  # the records live in conflict_records; callers import everything from here
    "COAUTH_OLD", "COAUTH_RECENT", "COI_TYPES", "DETECTOR_OF", "INST_FORMER", "INST_SAME", "ROLE_NAMED",
    "Affiliation", "Coauthor", "DetectionConfig", "DetectionReport", "Finding", "Person", "ProposalRecord",
    "Publication", "ReviewerRecord", "detect_conflicts",
]
_TYPE_ORDER = {t: i for i, t in enumerate(COI_TYPES)}


def detect_conflicts(
    reviewers: Sequence[ReviewerRecord],
    proposals: Sequence[ProposalRecord],
    config: DetectionConfig,
    *,
    today: date,
    chunk_size: int = 200,
    report: DetectionReport | None = None,
) -> Iterator[list[Finding]]:
    """Yield the findings of each chunk of `chunk_size` reviewers, in reviewer order.

    At most one finding per (reviewer, proposal, type, conflicting user); within a chunk they are
    sorted by reviewer, proposal, type, conflicting user. `report`, if given, accumulates what each
    detector checked, found and left out.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    report = report or DetectionReport(config)
    index = ProposalIndex(proposals)
    detectors = [
        (name, detect)
        for name, detect, enabled in (
            (NAMED_PERSONNEL, _named_personnel, config.detect_named_personnel),
            (INSTITUTIONAL, _institutional, config.detect_institutional),
            (COAUTHORSHIP, detect_coauthorship, config.detect_coauthorship),
        )
        if enabled
    ]
    for lo in range(0, len(reviewers), chunk_size):
        hi = min(lo + chunk_size, len(reviewers))
        findings = []
        for name, detect in detectors:
            tally = report[name]
            tally.pairs_checked += (hi - lo) * len(proposals)
            found = [f for r in range(lo, hi) for f in detect(r, reviewers[r], index, config, today, tally)]
            tally.found += len(found)
            findings += found
        findings.sort(key=_finding_order)
        yield findings


def _finding_order(f: Finding) -> tuple:
    user = -1 if f.conflicting_user_id is None else f.conflicting_user_id
    return f.reviewer, f.proposal, _TYPE_ORDER[f.coi_type], user


_REASON_LABELS = {"email": "e-mail address", "name": "name"}


def _named_personnel(r: int, reviewer: ReviewerRecord, index: ProposalIndex, config: DetectionConfig, today: date,
                     tally: Tally):
    """ROLE_NAMED: the reviewer is a team member by user, e-mail or normalised name, or the proposal is
    one of the reviewer's own publications (same title or DOI)."""
    reasons: dict[tuple[int, int | None], set[str]] = defaultdict(set)
    members: dict[tuple[int, int | None], Person] = {}

    def hit(entries, reason: str) -> None:
        for p, member in entries:
            reasons[p, member.user_id].add(reason)
            members.setdefault((p, member.user_id), member)

    hit(index.by_user.get(reviewer.user_id, ()), "user")
    if email := folded_email(reviewer.email):
        hit(index.by_email.get(email, ()), "email")
    for name in name_keys(reviewer.full_name, reviewer.alternative_names):
        hit(index.by_name.get(name, ()), "name")
    own = _own_publications(reviewer, index)
    oneself = Person(reviewer.user_id, reviewer.email, reviewer.full_name, reviewer.orcid)
    hit([(p, oneself) for p in own], "publication")

    for (p, user_id), matched_on in reasons.items():
        member = members[p, user_id]
        as_member = matched_on - {"publication"}
        texts = []
        evidence = {"matched_on": sorted(matched_on), "team_member": member.full_name if as_member else ""}
        if "user" in matched_on:
            texts.append("Reviewer is the proposal's creator or a member of its team.")
        elif as_member:
            what = " and ".join(sorted(_REASON_LABELS[m] for m in as_member))
            texts.append(f"Reviewer shares the {what} of team member {member.full_name or member.email}.")
        if "publication" in matched_on:
            papers = own[p]
            first = papers[0][0]
            texts.append(f'The proposal is the reviewer\'s own publication "{first.title}" '
                         f"({first.year}, same {papers[0][1]}).")
            evidence["publications"] = [
                {"doi": pub.doi, "title": pub.title, "year": pub.year, "matched_on": on} for pub, on in papers
            ]
        yield Finding(r, p, ROLE_NAMED, "real", user_id, " ".join(texts), evidence)


def _own_publications(reviewer: ReviewerRecord, index: ProposalIndex) -> dict[int, list[tuple[Publication, str]]]:
    """proposal index -> [(publication, "DOI" or "title")] of the reviewer's papers it is."""
    own = defaultdict(list)
    for publication in reviewer.publications:
        by_doi = set(index.by_doi.get(normalize_doi(publication.doi), ())) if publication.doi else set()
        by_title = set(index.by_title.get(normalize_key(publication.title), ()))
        for p in sorted(by_doi | by_title):
            own[p].append((publication, "DOI" if p in by_doi else "title"))
    return own


def _institutional(r: int, reviewer: ReviewerRecord, index: ProposalIndex, config: DetectionConfig, today: date,
                   tally: Tally):
    """INST_SAME / INST_FORMER: a current or recently ended affiliation with the proposal's organisation."""
    window_days = 365 * config.institutional_lookback_years
    matches: dict[tuple[int, str], list[Affiliation]] = defaultdict(list)
    for affiliation in reviewer.affiliations:
        proposals = set(index.by_org_id.get(affiliation.organization_id, ()))
        if org_name := normalize_key(affiliation.organization_name):
            proposals.update(index.by_org_name.get(org_name, ()))
        end = affiliation.end_date
        if end is None or end >= today:
            if not config.include_same_institution:
                tally.count("current_not_counted", len(proposals))
                continue
            coi_type = INST_SAME
        elif (today - end).days <= window_days:
            coi_type = INST_FORMER
        else:
            tally.count("ended_before_lookback", len(proposals))
            continue
        for p in proposals:
            matches[p, coi_type].append(affiliation)

    for (p, coi_type), affiliations in matches.items():
        proposal = index.proposals[p]
        organization = proposal.organization_name or affiliations[0].organization_name
        if coi_type == INST_SAME:
            severity, period = "real", "is currently"
        else:
            last_end = max(a.end_date for a in affiliations).isoformat()
            severity, period = "apparent", f"was until {last_end}"
        text = f"Reviewer {period} affiliated with the proposal's organisation {organization}."
        evidence = {
            "organization_id": proposal.organization_id,
            "organization_name": organization,
            "affiliations": [
                {
                    "organization_name": a.organization_name,
                    "start_date": a.start_date and a.start_date.isoformat(),
                    "end_date": a.end_date and a.end_date.isoformat(),
                }
                for a in affiliations
            ],
        }
        yield Finding(
            r, p, coi_type, severity, None, text, evidence,
            conflicting_organization_id=proposal.organization_id,
        )
