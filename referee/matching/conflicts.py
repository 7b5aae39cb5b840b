"""Automated conflict-of-interest detection (contract §5.7), reviewers × proposals in bulk.

The proposals are indexed once (by user id, e-mail, normalised name, name key, ORCID,
organisation id and name); each reviewer then looks up only the proposals sharing one of its
keys, so the work grows with the matches, never with the number of reviewer × proposal pairs.

Refinements of the contract's wording, all to avoid obvious false positives:
- a co-author who is the reviewer (same ORCID, or same normalised name unless both ORCIDs are
  known and differ) is skipped, and a reviewer is never found to have co-authored with itself;
- a co-author name match is overruled when both ORCIDs are known and differ;
- publications without a year cannot be placed in the look-back window and are ignored; papers
  with neither DOI nor title count individually.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from .text import name_keys, normalize_doi, normalize_key, normalize_name, normalize_orcid

ROLE_NAMED = "ROLE_NAMED"
INST_SAME = "INST_SAME"
INST_FORMER = "INST_FORMER"
COAUTH_RECENT = "COAUTH_RECENT"
COAUTH_OLD = "COAUTH_OLD"
COI_TYPES = (ROLE_NAMED, INST_SAME, INST_FORMER, COAUTH_RECENT, COAUTH_OLD)  # the detected ones
_TYPE_ORDER = {t: i for i, t in enumerate(COI_TYPES)}
SEVERE_COAUTHORSHIP_PAPERS = 3  # recent co-authorship of this many papers is a "real" conflict


@dataclass(frozen=True)
class Person:
    """A proposal team member (creator included)."""

    user_id: int | None
    email: str
    full_name: str
    orcid: str | None
    alternative_names: Sequence[str] = ()  # (addition) from the member's reviewer profile, if any


@dataclass(frozen=True)
class Affiliation:
    organization_id: int | None
    organization_name: str
    start_date: date | None
    end_date: date | None  # None = current


@dataclass(frozen=True)
class Coauthor:
    name: str
    orcid: str | None


@dataclass(frozen=True)
class Publication:
    doi: str
    title: str
    year: int | None
    coauthors: Sequence[Coauthor]


@dataclass(frozen=True)
class ReviewerRecord:
    user_id: int
    email: str
    full_name: str
    alternative_names: Sequence[str]
    orcid: str | None
    affiliations: Sequence[Affiliation]
    publications: Sequence[Publication]


@dataclass(frozen=True)
class ProposalRecord:
    creator_id: int | None
    team: Sequence[Person]
    organization_id: int | None
    organization_name: str


@dataclass(frozen=True)
class DetectionConfig:
    coauthorship_lookback_years: int = 3
    coauthorship_threshold_papers: int = 1
    institutional_lookback_years: int = 2
    include_same_institution: bool = True
    detect_coauthorship: bool = True
    detect_institutional: bool = True
    detect_named_personnel: bool = True


@dataclass(frozen=True)
class Finding:
    reviewer: int  # index into the reviewers sequence
    proposal: int  # index into the proposals sequence
    coi_type: str
    severity: str
    conflicting_user_id: int | None
    evidence_description: str
    evidence_data: dict
    conflicting_organization_id: int | None = None  # (addition) the proposal's organisation, INST_*


def detect_conflicts(
    reviewers: Sequence[ReviewerRecord],
    proposals: Sequence[ProposalRecord],
    config: DetectionConfig,
    *,
    today: date,
    chunk_size: int = 200,
) -> Iterator[list[Finding]]:
    """Yield the findings of each chunk of `chunk_size` reviewers, in reviewer order.

    At most one finding per (reviewer, proposal, type, conflicting user); within a chunk they are
    sorted by reviewer, proposal, type, conflicting user.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    index = _ProposalIndex(proposals)
    detectors = []
    if config.detect_named_personnel:
        detectors.append(_named_personnel)
    if config.detect_institutional:
        detectors.append(_institutional)
    if config.detect_coauthorship:
        detectors.append(_coauthorship)
    for lo in range(0, len(reviewers), chunk_size):
        findings = [
            finding
            for r in range(lo, min(lo + chunk_size, len(reviewers)))
            for detect in detectors
            for finding in detect(r, reviewers[r], index, config, today)
        ]
        findings.sort(key=_finding_order)
        yield findings


def _finding_order(f: Finding) -> tuple:
    user = -1 if f.conflicting_user_id is None else f.conflicting_user_id
    return f.reviewer, f.proposal, _TYPE_ORDER[f.coi_type], user


class _ProposalIndex:
    """Proposals (and their team members) by every key a reviewer can share with them."""

    def __init__(self, proposals: Sequence[ProposalRecord]) -> None:
        self.proposals = proposals
        # Team-member indexes map a key to [(proposal index, Person)], organisation ones to [p].
        self.by_user = defaultdict(list)  # user id
        self.by_email = defaultdict(list)  # folded e-mail
        self.by_name = defaultdict(list)  # normalised full or alternative name
        self.by_name_key = defaultdict(list)  # text.name_keys of those names
        self.by_orcid = defaultdict(list)  # normalised ORCID
        self.by_org_id = defaultdict(list)  # organisation id
        self.by_org_name = defaultdict(list)  # normalised organisation name
        for p, proposal in enumerate(proposals):
            team = list(proposal.team)
            creator = proposal.creator_id
            if creator is not None and all(m.user_id != creator for m in team):
                team.append(Person(creator, "", "", None))
            for member in team:
                entry = (p, member)
                if member.user_id is not None:
                    self.by_user[member.user_id].append(entry)
                if email := _email(member.email):
                    self.by_email[email].append(entry)
                names = _names(member.full_name, member.alternative_names)
                for name in names:
                    self.by_name[name].append(entry)
                for key in {k for name in names for k in name_keys(name)}:
                    self.by_name_key[key].append(entry)
                if orcid := normalize_orcid(member.orcid):
                    self.by_orcid[orcid].append(entry)
            if proposal.organization_id is not None:
                self.by_org_id[proposal.organization_id].append(p)
            if org_name := normalize_key(proposal.organization_name):
                self.by_org_name[org_name].append(p)


_REASON_LABELS = {"email": "e-mail address", "name": "name"}


def _email(email: str) -> str:
    return email.strip().casefold()


def _names(full_name: str, alternative_names: Sequence[str]) -> set[str]:
    return {n for n in map(normalize_name, [full_name, *alternative_names]) if n}


def _named_personnel(r: int, reviewer: ReviewerRecord, index: _ProposalIndex, config: DetectionConfig, today: date):
    """ROLE_NAMED: the reviewer is a team member by user, e-mail or normalised name."""
    reasons: dict[tuple[int, int | None], set[str]] = defaultdict(set)
    members: dict[tuple[int, int | None], Person] = {}

    def hit(entries, reason: str) -> None:
        for p, member in entries:
            reasons[p, member.user_id].add(reason)
            members.setdefault((p, member.user_id), member)

    hit(index.by_user.get(reviewer.user_id, ()), "user")
    if email := _email(reviewer.email):
        hit(index.by_email.get(email, ()), "email")
    for name in _names(reviewer.full_name, reviewer.alternative_names):
        hit(index.by_name.get(name, ()), "name")

    for (p, user_id), matched_on in reasons.items():
        member = members[p, user_id]
        if "user" in matched_on:
            text = "Reviewer is the proposal's creator or a member of its team."
        else:
            what = " and ".join(sorted(_REASON_LABELS[m] for m in matched_on))
            text = f"Reviewer shares the {what} of team member {member.full_name or member.email}."
        yield Finding(
            r, p, ROLE_NAMED, "real", user_id, text,
            {"matched_on": sorted(matched_on), "team_member": member.full_name},
        )


def _institutional(r: int, reviewer: ReviewerRecord, index: _ProposalIndex, config: DetectionConfig, today: date):
    """INST_SAME / INST_FORMER: a current or recently ended affiliation with the proposal's organisation."""
    window_days = 365 * config.institutional_lookback_years
    matches: dict[tuple[int, str], list[Affiliation]] = defaultdict(list)
    for affiliation in reviewer.affiliations:
        end = affiliation.end_date
        if end is None or end >= today:
            if not config.include_same_institution:
                continue
            coi_type = INST_SAME
        elif (today - end).days <= window_days:
            coi_type = INST_FORMER
        else:
            continue
        proposals = set(index.by_org_id.get(affiliation.organization_id, ()))
        if org_name := normalize_key(affiliation.organization_name):
            proposals.update(index.by_org_name.get(org_name, ()))
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


def _coauthorship(r: int, reviewer: ReviewerRecord, index: _ProposalIndex, config: DetectionConfig, today: date):
    """COAUTH_RECENT / COAUTH_OLD: papers in the look-back window shared with a team member."""
    first_year = today.year - config.coauthorship_lookback_years
    reviewer_orcid = normalize_orcid(reviewer.orcid)
    reviewer_names = _names(reviewer.full_name, reviewer.alternative_names)
    # (proposal, conflicting user) -> {paper key: publication}, and the co-author spellings matched
    papers: dict[tuple[int, int | None], dict[str, Publication]] = defaultdict(dict)
    spellings: dict[tuple[int, int | None], set[str]] = defaultdict(set)
    members: dict[tuple[int, int | None], Person] = {}

    for number, publication in enumerate(reviewer.publications):
        if publication.year is None or publication.year < first_year:
            continue
        paper = _paper_key(publication, number)
        for coauthor in publication.coauthors:
            orcid = normalize_orcid(coauthor.orcid)
            name = normalize_name(coauthor.name)
            if _is_same_person(orcid, name, reviewer_orcid, reviewer_names):
                continue
            candidates = list(index.by_orcid.get(orcid, ())) if orcid else []
            for key in name_keys(name):
                candidates += [
                    (p, member)
                    for p, member in index.by_name_key.get(key, ())
                    if not _orcids_differ(orcid, member.orcid)
                ]
            for p, member in candidates:
                if member.user_id == reviewer.user_id:
                    continue
                group = (p, member.user_id)
                known = papers[group].get(paper)
                if known is None or publication.year > known.year:  # a duplicate entry: keep the latest
                    papers[group][paper] = publication
                spellings[group].add(coauthor.name)
                members.setdefault(group, member)

    for (p, user_id), shared in papers.items():
        if len(shared) < config.coauthorship_threshold_papers:
            continue
        latest = max(pub.year for pub in shared.values())
        if latest >= today.year - 1:
            coi_type = COAUTH_RECENT
            severity = "real" if len(shared) >= SEVERE_COAUTHORSHIP_PAPERS else "apparent"
        else:
            coi_type, severity = COAUTH_OLD, "potential"
        member = members[p, user_id]
        listed = sorted(shared.values(), key=lambda pub: (-pub.year, pub.title))
        count = f"{len(shared)} paper{'s' if len(shared) > 1 else ''}"
        text = (
            f"Reviewer co-authored {count} since {first_year} with team member "
            f"{member.full_name or member.email}, most recently in {latest}."
        )
        evidence = {
            "team_member": member.full_name,
            "coauthor_names": sorted(spellings[p, user_id]),
            "papers": [{"doi": pub.doi, "title": pub.title, "year": pub.year} for pub in listed],
        }
        yield Finding(r, p, coi_type, severity, user_id, text, evidence)


def _paper_key(publication: Publication, number: int) -> str:
    if doi := normalize_doi(publication.doi):
        return f"doi:{doi}"
    if title := normalize_key(publication.title):
        return f"title:{title}"
    return f"#{number}"


def _is_same_person(orcid: str, name: str, other_orcid: str, other_names: set[str]) -> bool:
    if orcid and other_orcid:
        return orcid == other_orcid
    return name in other_names


def _orcids_differ(orcid: str, other: str | None) -> bool:
    other = normalize_orcid(other)
    return bool(orcid and other and orcid != other)
