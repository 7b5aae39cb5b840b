"""The call's panel diversity rules (issue 14) on the panels as they stand: each proposal's items
that hold a place (`candidates.ACTIVE_ITEM`, what a top-up generation counts too) plus the
preview's undeployed pairs. What a preview edit is checked against (domain.preview_edits) and how
many proposals meet each rule on the Assignments tab. The rules themselves are the matching
library's (`matching.diversity_panels`); this module reads the panels and says things in words.

A few queries whatever the number of proposals: the items, the preview's pairs, the pool entries
on the panels, then the rules' own two (diversity_inputs)."""

from dataclasses import dataclass

import numpy as np
from django.db.models import Q

from referee.assignments.candidates import ACTIVE_ITEM
from referee.assignments.diversity_inputs import current_affiliations, diversity_rules, institution_name, uses_rules
from referee.assignments.models import AssignmentItem, ProposedAssignment
from referee.calls.models import Proposal
from referee.matching.diversity import DiversityRules
from referee.matching.diversity_panels import Breach, breaches, meets
from referee.reviewers.models import CallReviewerPool

BREAKS = "{proposal}: {rule} — {detail}."


@dataclass
class Panels:
    proposals: list[Proposal]
    entries: list[CallReviewerPool]
    rules: DiversityRules
    pairs: tuple[np.ndarray, np.ndarray]  # (proposal row, entry column) of every panel member


@dataclass
class RuleSummary:
    rule: str
    words: str
    met: int
    applies_to: int  # proposals the rule applies to (the "outside" one: applicants' country known)


def rule_words(config) -> dict[str, str]:
    """The configured rules in words, by the matching library's rule names."""
    words = {}
    if config.max_reviewers_per_institution is not None:
        words["max_per_institution"] = f"at most {_reviewers(config.max_reviewers_per_institution)} per institution"
    if config.max_reviewers_per_country is not None:
        words["max_per_country"] = f"at most {_reviewers(config.max_reviewers_per_country)} per country"
    if config.min_reviewers_from_other_countries > 0:
        words["min_foreign"] = (f"at least {_reviewers(config.min_reviewers_from_other_countries)} from outside "
                                "the applicants' country")
    stages = {s: k for s, k in config.min_reviewers_per_career_stage.items() if k}
    if stages:
        words["min_per_stage"] = "at least " + ", ".join(f"{k} {s}" for s, k in stages.items()) + " (career stages)"
    return words


def _reviewers(n: int) -> str:
    return f"{n} reviewer" if n == 1 else f"{n} reviewers"


def current_panels(call, config, proposals: list[Proposal], extra_entries=()) -> Panels | None:
    """The panels of `proposals` under the call's rules (None without rules); `extra_entries`
    get a column too (reviewers an edit adds)."""
    if not uses_rules(config):
        return None
    ids = [p.id for p in proposals]
    items = list(AssignmentItem.objects.filter(ACTIVE_ITEM, proposal_id__in=ids).values_list("proposal_id", "pool_entry_id"))
    previewed = list(ProposedAssignment.objects.filter(call=call, is_deployed=False, proposal_id__in=ids)
                     .values_list("proposal_id", "reviewer_id"))
    entries = list(CallReviewerPool.objects.filter(call=call).filter(
        Q(id__in=[e for _, e in items] + [e.id for e in extra_entries])
        | Q(reviewer_id__in=[r for _, r in previewed])).select_related("reviewer__user").order_by("id"))
    row = {p: i for i, p in enumerate(ids)}
    by_entry = {e.id: j for j, e in enumerate(entries)}
    by_reviewer = {e.reviewer_id: j for j, e in enumerate(entries)}
    pairs = sorted({(row[p], by_entry[e]) for p, e in items if e in by_entry}
                   | {(row[p], by_reviewer[r]) for p, r in previewed if r in by_reviewer})
    held = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return Panels(proposals, entries, diversity_rules(config, proposals, entries), (held[:, 0], held[:, 1]))


def edit_refusals(call, config, added: list, removed: list) -> list[str]:
    """What a preview edit adding and removing pairs (with `.proposal` and `.entry`) would break
    of the rules on its proposals' panels, in words naming the rule and the reviewers."""
    proposals = list({w.proposal.id: w.proposal for w in added + removed}.values())
    panels = current_panels(call, config, proposals, extra_entries=[w.entry for w in added])
    if panels is None:
        return []
    row = {p.id: i for i, p in enumerate(proposals)}
    column = {e.id: j for j, e in enumerate(panels.entries)}
    before = set(zip(*(a.tolist() for a in panels.pairs), strict=True))
    after = (before - {(row[w.proposal.id], column.get(w.entry.id)) for w in removed}) | {
        (row[w.proposal.id], column[w.entry.id]) for w in added}
    after = np.array(sorted(after), dtype=np.int64).reshape(-1, 2)
    found = breaches(panels.rules, panels.pairs, (after[:, 0], after[:, 1]), len(proposals))
    if not found:
        return []
    words = rule_words(config)
    return [BREAKS.format(proposal=proposals[b.proposal].name, rule=words[b.rule], detail=_detail(b, panels))
            for b in found]


def _detail(breach: Breach, panels: Panels) -> str:
    entries, rules = panels.entries, panels.rules
    names = _joined([entries[r].reviewer.user.full_name for r in breach.reviewers])
    together = "both" if len(breach.reviewers) == 2 else "all"
    if breach.rule == "max_per_institution":
        affiliation = current_affiliations([entries[breach.reviewers[0]].reviewer_id])
        place = institution_name(next(iter(affiliation.values())))
        return f"{names} would {together} be from {place}"
    if breach.rule == "max_per_country":
        return f"{names} would {together} be from {rules.country_name(breach.group)}"
    if breach.rule == "min_foreign":
        where = " or ".join(rules.country_name(c) for c in np.flatnonzero(rules.applicant_countries[breach.proposal]))
        return f"without {names} it would have {breach.count} from outside {where}"
    return f"without {names} it would have {breach.count} in career stage {rules.stage_name(breach.stage)}"


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def rules_summary(call, config, preview) -> list[RuleSummary]:
    """Each configured rule with how many of the preview's proposals meet it on their panels."""
    if not uses_rules(config):
        return []
    proposals = Proposal.objects.filter(call=call).open_for_review().order_by("id")
    if preview.proposal_uuids is not None:
        proposals = proposals.filter(uuid__in=preview.proposal_uuids)
    panels = current_panels(call, config, list(proposals))
    met = meets(panels.rules, *panels.pairs, len(panels.proposals))
    return [RuleSummary(rule, words, int(np.nansum(met[rule])), int(np.sum(~np.isnan(met[rule]))))
            for rule, words in rule_words(config).items()]
