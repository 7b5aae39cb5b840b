"""The co-authorship detector (COAUTH_RECENT / COAUTH_OLD) of `conflicts.detect_conflicts`."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from . import names
from .conflict_records import (
    COAUTH_OLD,
    COAUTH_RECENT,
    SEVERE_COAUTHORSHIP_PAPERS,
    DetectionConfig,
    Finding,
    Person,
    Publication,
    ReviewerRecord,
)
from .conflict_report import Tally
from .proposal_index import ProposalIndex
from .text import normalize_doi, normalize_key, normalize_orcid

# Strongest first: the rule named in a finding is the strongest that matched any of its co-authors.
_RULE_ORDER = {rule: i for i, rule in enumerate(names.RULES)}
_RULE_TEXTS = {
    names.ORCID: "The ORCIDs are the same.",
    names.SAME_NAME: "The names are the same ({pair}).",
    names.FIRST_NAME: "The surnames and first names agree ({pair}).",
    names.INITIAL: "The names agree only up to an initial ({pair}): check that this is the same person.",
}


def detect_coauthorship(r: int, reviewer: ReviewerRecord, index: ProposalIndex, config: DetectionConfig,
                        today: date, tally: Tally):
    """COAUTH_RECENT / COAUTH_OLD: papers in the look-back window shared with a team member."""
    first_year = today.year - config.coauthorship_lookback_years
    reviewer_orcid = normalize_orcid(reviewer.orcid)
    reviewer_names = list(names.parse_spellings({reviewer.full_name, *reviewer.alternative_names}).values())
    # (proposal, conflicting user) -> {paper key: publication}, and -> {(co-author, member spelling): rule}
    papers: dict[tuple[int, int | None], dict[str, Publication]] = defaultdict(dict)
    rules: dict[tuple[int, int | None], dict[tuple[str, str], str]] = defaultdict(dict)
    members: dict[tuple[int, int | None], Person] = {}
    left_out = {"before_lookback": set(), "undated": set(), "first_names_differ": set(), "orcids_differ": set()}

    for number, publication in enumerate(reviewer.publications):
        paper = _paper_key(publication, number)
        for coauthor in publication.coauthors:
            orcid, parsed = normalize_orcid(coauthor.orcid), names.parse_name(coauthor.name)
            if _is_reviewer(orcid, parsed, reviewer_orcid, reviewer_names):
                continue
            for p, member, rule, spelling in _team_members(coauthor.name, orcid, parsed, index, left_out):
                if member.user_id == reviewer.user_id:
                    continue
                group = (p, member.user_id)
                if publication.year is None or publication.year < first_year:
                    left_out["undated" if publication.year is None else "before_lookback"].add((group, paper))
                    continue
                known = papers[group].get(paper)
                if known is None or publication.year > known.year:  # a duplicate entry: keep the latest
                    papers[group][paper] = publication
                pair = (coauthor.name, spelling)
                if _RULE_ORDER[rule] < _RULE_ORDER.get(rules[group].get(pair), len(_RULE_ORDER)):
                    rules[group][pair] = rule
                members.setdefault(group, member)
    for reason, instances in left_out.items():
        example = '"{}" and team member "{}"'.format(*min(instances)) if "differ" in reason and instances else ""
        tally.count(reason, len(instances), example)
    tally.count("below_threshold", sum(len(shared) < config.coauthorship_threshold_papers for shared in papers.values()))

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
        matched = sorted(rules[p, user_id].items(), key=lambda item: (_RULE_ORDER[item[1]], item[0]))
        (coauthor, spelling), strongest = matched[0]
        count = f"{len(shared)} paper{'s' if len(shared) > 1 else ''}"
        text = (
            f"Reviewer co-authored {count} since {first_year} with team member "
            f"{member.full_name or member.email}, most recently in {latest}. "
            + _RULE_TEXTS[strongest].format(pair=f'"{coauthor}" and "{spelling}"')
        )
        evidence = {
            "team_member": member.full_name,
            "coauthor_names": sorted({c for c, _ in rules[p, user_id]}),
            "matched_by": strongest,
            "name_matches": [{"coauthor": c, "team_member_name": m, "rule": rule} for (c, m), rule in matched],
            "papers": [{"doi": pub.doi, "title": pub.title, "year": pub.year} for pub in listed],
        }
        yield Finding(r, p, coi_type, severity, user_id, text, evidence)


def _team_members(name: str, orcid: str, parsed, index: ProposalIndex, left_out: dict):
    """(p, member, rule, member's spelling) of the team members a co-author is: the same ORCID when
    both have one, else a name that can be theirs. Near misses go to `left_out`."""
    for p, member in index.by_orcid.get(orcid, ()) if orcid else ():
        yield p, member, names.ORCID, member.full_name
    if parsed is None:
        return
    for p, member, member_name, spelling, member_orcid in index.by_name_key.get(parsed.key, ()):
        rule = names.match_rule(parsed, member_name)
        if orcid and member_orcid:  # the ORCIDs decided above
            if rule and orcid != member_orcid:
                left_out["orcids_differ"].add((name, spelling))
        elif rule:
            yield p, member, rule, spelling
        else:
            left_out["first_names_differ"].add((name, spelling))


def _is_reviewer(orcid: str, parsed, reviewer_orcid: str, reviewer_names) -> bool:
    if orcid and reviewer_orcid:
        return orcid == reviewer_orcid
    return parsed is not None and any(names.match_rule(parsed, own) for own in reviewer_names)


def _paper_key(publication: Publication, number: int) -> str:
    if doi := normalize_doi(publication.doi):
        return f"doi:{doi}"
    if title := normalize_key(publication.title):
        return f"title:{title}"
    return f"#{number}"
