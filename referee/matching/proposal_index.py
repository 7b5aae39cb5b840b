"""Proposals indexed by every key a reviewer can share with them (team members' ids, e-mails,
names and ORCIDs; organisations; titles and DOIs): the look-up side of conflict detection, used
by the detectors in `conflicts` and `coauthorship`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from . import names
from .conflict_records import Person, ProposalRecord
from .text import normalize_doi, normalize_key, normalize_name, normalize_orcid


class ProposalIndex:
    """Proposals (and their team members) by every key a reviewer can share with them."""

    def __init__(self, proposals: Sequence[ProposalRecord]) -> None:
        self.proposals = proposals
        # Team-member indexes map a key to [(proposal index, Person)], the others to [p].
        self.by_user = defaultdict(list)  # user id
        self.by_email = defaultdict(list)  # folded e-mail
        self.by_name = defaultdict(list)  # normalised full or alternative name
        self.by_orcid = defaultdict(list)  # normalised ORCID
        # names.ParsedName.key -> [(p, Person, ParsedName, the spelling parsed, normalised ORCID)]
        self.by_name_key = defaultdict(list)
        self.by_org_id = defaultdict(list)  # organisation id
        self.by_org_name = defaultdict(list)  # normalised organisation name
        self.by_title = defaultdict(list)  # normalised title
        self.by_doi = defaultdict(list)  # normalised DOI
        for p, proposal in enumerate(proposals):
            team = list(proposal.team)
            creator = proposal.creator_id
            if creator is not None and all(m.user_id != creator for m in team):
                team.append(Person(creator, "", "", None))
            for member in team:
                entry = (p, member)
                if member.user_id is not None:
                    self.by_user[member.user_id].append(entry)
                if email := folded_email(member.email):
                    self.by_email[email].append(entry)
                for name in name_keys(member.full_name, member.alternative_names):
                    self.by_name[name].append(entry)
                orcid = normalize_orcid(member.orcid)
                for spelling, parsed in names.parse_spellings({member.full_name, *member.alternative_names}).items():
                    self.by_name_key[parsed.key].append((p, member, parsed, spelling, orcid))
                if orcid:
                    self.by_orcid[orcid].append(entry)
            if proposal.organization_id is not None:
                self.by_org_id[proposal.organization_id].append(p)
            if org_name := normalize_key(proposal.organization_name):
                self.by_org_name[org_name].append(p)
            if title := normalize_key(proposal.title):
                self.by_title[title].append(p)
            if doi := normalize_doi(proposal.doi):
                self.by_doi[doi].append(p)


def folded_email(email: str) -> str:
    return email.strip().casefold()


def name_keys(full_name: str, alternative_names: Sequence[str]) -> set[str]:
    return {n for n in map(normalize_name, [full_name, *alternative_names]) if n}
