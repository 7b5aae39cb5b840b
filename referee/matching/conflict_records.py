"""The records conflict detection works on, and what it finds (contract §5.7): plain data, no Django."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from .conflict_report import COAUTHORSHIP, INSTITUTIONAL, NAMED_PERSONNEL

ROLE_NAMED = "ROLE_NAMED"
INST_SAME = "INST_SAME"
INST_FORMER = "INST_FORMER"
COAUTH_RECENT = "COAUTH_RECENT"
COAUTH_OLD = "COAUTH_OLD"
COI_TYPES = (ROLE_NAMED, INST_SAME, INST_FORMER, COAUTH_RECENT, COAUTH_OLD)  # the detected ones
DETECTOR_OF = {ROLE_NAMED: NAMED_PERSONNEL, INST_SAME: INSTITUTIONAL, INST_FORMER: INSTITUTIONAL,
               COAUTH_RECENT: COAUTHORSHIP, COAUTH_OLD: COAUTHORSHIP}
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
    title: str = ""  # (addition) compared with the reviewer's publications
    doi: str = ""


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
