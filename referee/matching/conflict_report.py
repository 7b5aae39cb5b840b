"""What a conflict detection checked, and why it may have found nothing (issue 10).

Each detector counts the pairs it checked, its findings, and what it saw but did not count
(co-authorships older than the look-back, names that share a surname and initial but not the
first name, ...). `DetectionReport.as_dict` turns the counts into plain sentences for a call
manager, so that "0 conflicts found" comes with its reasons.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

NAMED_PERSONNEL = "named_personnel"
INSTITUTIONAL = "institutional"
COAUTHORSHIP = "coauthorship"
DETECTORS = (NAMED_PERSONNEL, INSTITUTIONAL, COAUTHORSHIP)
# The configuration switch of each detector, named in the note of a detector that was off.
SWITCHES = {NAMED_PERSONNEL: "auto_detect_named_personnel", INSTITUTIONAL: "auto_detect_institutional",
            COAUTHORSHIP: "auto_detect_coauthorship"}


@dataclass
class Tally:
    enabled: bool
    pairs_checked: int = 0
    found: int = 0
    counts: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)  # reason -> its first instance, for the note

    def count(self, reason: str, n: int = 1, example: str = "") -> None:
        if n:
            self.counts[reason] += n
            if example:
                self.examples.setdefault(reason, example)


class DetectionReport:
    """Counts of one detection run, accumulated over its chunks (and passes)."""

    def __init__(self, config) -> None:
        self.config = config
        self.tallies = {
            NAMED_PERSONNEL: Tally(config.detect_named_personnel),
            INSTITUTIONAL: Tally(config.detect_institutional),
            COAUTHORSHIP: Tally(config.detect_coauthorship),
        }

    def __getitem__(self, detector: str) -> Tally:
        return self.tallies[detector]

    def count_inputs(self, reviewers: Sequence, proposals: Sequence) -> None:
        """Facts about the records themselves, counted once per run (not per pass)."""
        publications = [p for r in reviewers for p in r.publications]
        everyone = {"reviewers": len(reviewers), "proposals": len(proposals)}
        facts = {
            NAMED_PERSONNEL: {**everyone, "reviewer_publications": len(publications)},
            INSTITUTIONAL: {
                **everyone,
                "reviewers_without_affiliations": sum(not r.affiliations for r in reviewers),
                "proposals_without_organisation": sum(
                    p.organization_id is None and not p.organization_name.strip() for p in proposals),
            },
            COAUTHORSHIP: {
                **everyone, "reviewer_publications": len(publications),
                "reviewers_without_publications": sum(not r.publications for r in reviewers),
                "publications_without_coauthors": sum(not p.coauthors for p in publications),
            },
        }
        for name, counts in facts.items():
            for reason, n in counts.items():
                self.tallies[name].count(reason, n)

    def as_dict(self, *, first_coauthorship_year: int, new_conflicts: dict[str, int]) -> dict:
        """Per detector: enabled, pairs_checked, found, new_conflicts, counts, notes (sentences)."""
        out = {}
        for name, tally in self.tallies.items():
            new = new_conflicts.get(name, 0)
            notes = _notes(name, tally, self.config, first_coauthorship_year, new)
            out[name] = {"enabled": tally.enabled, "pairs_checked": tally.pairs_checked, "found": tally.found,
                         "new_conflicts": new, "counts": dict(sorted(tally.counts.items())), "notes": notes}
        return out


# Per detector: (reason, the records it is counted among, sentence); said only when its count is not
# zero. Sentences are formatted with n (the count), total, config, first_year, example and the
# words that agree with n (`_agreeing`).
_SHARES = "{n} of {total} "
_LEFT_OUT = {
    NAMED_PERSONNEL: [],
    INSTITUTIONAL: [
        ("reviewers_without_affiliations", "reviewers", _SHARES + "reviewers {have} no affiliation on record."),
        ("proposals_without_organisation", "proposals", _SHARES + "proposals {have} no organisation."),
        ("ended_before_lookback", None,
         "{n} affiliation{s} with a proposal's organisation ended more than {config.institutional_lookback_years} "
         "years ago (institutional_lookback_years) and {were} not counted."),
        ("current_not_counted", None,
         "{n} current affiliation{s} with a proposal's organisation {were} not counted: same-institution detection "
         "is off (include_same_institution)."),
    ],
    COAUTHORSHIP: [
        ("reviewers_without_publications", "reviewers", _SHARES + "reviewers {have} no publications on record."),
        ("publications_without_coauthors", "reviewer_publications",
         _SHARES + "publications {list} no co-authors, so {they} cannot show a co-authorship."),
        ("before_lookback", None,
         "{n} co-authorship{s} {are} older than the {config.coauthorship_lookback_years}-year look-back (before "
         "{first_year}) and {were} not counted (coauthorship_lookback_years)."),
        ("undated", None, "{n} co-authorship{s} {are} on publications without a year and {were} not counted."),
        ("below_threshold", None,
         "{n} reviewer–team member pair{s} {have} fewer than {config.coauthorship_threshold_papers} shared papers "
         "in the look-back and {were} not counted (coauthorship_threshold_papers)."),
        ("first_names_differ", None,
         "{n} co-author{s} {share} a team member's surname and initial but not the first name, so {they} {were} not "
         "taken for the same person ({example})."),
        ("orcids_differ", None,
         "{n} co-author{s} {have} a team member's name but another ORCID, so {they} {were} not taken for the same "
         "person ({example})."),
    ],
}
_NOTHING_FOUND = {
    NAMED_PERSONNEL: "No reviewer is the creator or a team member of a proposal (same account, e-mail or full name), "
                     "and none of the reviewers' {publications} publications has the title or DOI of a proposal.",
    INSTITUTIONAL: "No reviewer's current or recent affiliation is with a proposal's organisation.",
    COAUTHORSHIP: "No co-author of a reviewer's publications in the look-back is a member of a proposal's team.",
}


def _notes(name: str, tally: Tally, config, first_year: int, new: int) -> list[str]:
    if not tally.enabled:
        return [f"Not run: switched off in the call's conflict-of-interest configuration ({SWITCHES[name]})."]
    counts = tally.counts
    notes = []
    if tally.found and new < tally.found:
        notes.append("{n} of the {total} conflicts found {were} already on record and {were} not recorded again (a "
                     "conflict is recorded once, whatever its status).".format(
                         n=_n(tally.found - new), total=_n(tally.found), **_agreeing(tally.found - new)))
    for reason, among, sentence in _LEFT_OUT[name]:
        if counts[reason]:
            notes.append(sentence.format(n=_n(counts[reason]), total=_n(counts[among]) if among else "",
                                         config=config, first_year=first_year, example=tally.examples.get(reason),
                                         **_agreeing(counts[reason])))
    if not tally.found:
        notes.append(_NOTHING_FOUND[name].format(publications=_n(counts["reviewer_publications"])))
    return notes


def _agreeing(n: int) -> dict[str, str]:
    """The words of a sentence that agree with its count n."""
    if n == 1:
        return {"s": "", "are": "is", "have": "has", "were": "was", "list": "lists", "share": "shares", "they": "it"}
    return {"s": "s", "are": "are", "have": "have", "were": "were", "list": "list", "share": "share", "they": "they"}


def _n(number: int) -> str:
    return f"{number:,}"
