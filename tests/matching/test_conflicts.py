import itertools
import json
import random
from collections import defaultdict
from datetime import date, timedelta

import pytest

from referee.matching.conflicts import (
    COAUTH_OLD,
    COAUTH_RECENT,
    INST_FORMER,
    INST_SAME,
    ROLE_NAMED,
    Affiliation,
    Coauthor,
    DetectionConfig,
    DetectionReport,
    Person,
    ProposalRecord,
    Publication,
    ReviewerRecord,
    detect_conflicts,
)
from referee.matching.names import match_rule, parse_name, parse_spellings
from referee.matching.text import normalize_doi, normalize_key, normalize_name, normalize_orcid

TODAY = date(2025, 6, 15)
YEAR = TODAY.year
DEFAULT = DetectionConfig()
_titles = itertools.count()


def member(user_id, name="", email="", orcid=None, alternative_names=()):
    return Person(user_id, email, name, orcid, alternative_names)


def reviewer(user_id=1, name="Rita Reviewer", email="rita@example.org", *, alternative_names=(), orcid=None,
             affiliations=(), publications=()):
    return ReviewerRecord(user_id, email, name, list(alternative_names), orcid, list(affiliations), list(publications))


def proposal(*team, creator_id=None, organization_id=None, organization_name=""):
    creator = team[0].user_id if team and creator_id is None else creator_id
    return ProposalRecord(creator, list(team), organization_id, organization_name)


def paper(year, *coauthors, doi="", title=None):
    people = [c if isinstance(c, Coauthor) else Coauthor(c, None) for c in coauthors]
    return Publication(doi, title if title is not None else f"Paper {next(_titles)}", year, people)


def detect(reviewers, proposals, config=DEFAULT, today=TODAY, chunk_size=200):
    chunks = detect_conflicts(reviewers, proposals, config, today=today, chunk_size=chunk_size)
    return [f for chunk in chunks for f in chunk]


def by_user(row):
    return *row[:-1], -1 if row[-1] is None else row[-1]


def summary(findings):
    rows = [(f.reviewer, f.proposal, f.coi_type, f.severity, f.conflicting_user_id) for f in findings]
    return sorted(rows, key=by_user)


# --- ROLE_NAMED --------------------------------------------------------------------------------


def test_reviewer_in_the_team_is_named_personnel():
    found = detect([reviewer(user_id=7)], [proposal(member(3, "Ann Other"), member(7, "Rita Reviewer"))])
    assert summary(found) == [(0, 0, ROLE_NAMED, "real", 7)]
    assert found[0].evidence_data["matched_on"] == ["name", "user"]


def test_creator_outside_the_team_list_is_named_personnel():
    found = detect([reviewer(user_id=7, name="X Y", email="")], [proposal(member(3, "Ann"), creator_id=7)])
    assert summary(found) == [(0, 0, ROLE_NAMED, "real", 7)]


@pytest.mark.parametrize(
    "team_member",
    [
        member(9, "Someone Else", email="  RITA@Example.ORG"),  # e-mail, case-insensitive
        member(9, "Dr. Rita  Réviewer"),  # normalised full name
        member(9, "R. Alias"),  # the reviewer's alternative name
        member(9, "Other Name", alternative_names=["Reviewer, Rita"]),  # the member's alternative name
    ],
)
def test_shared_email_or_name_is_named_personnel(team_member):
    rev = reviewer(alternative_names=["R. Alias"])
    assert summary(detect([rev], [proposal(team_member)])) == [(0, 0, ROLE_NAMED, "real", 9)]


def test_surname_and_initial_alone_is_not_named_personnel():
    assert detect([reviewer(name="Rita Smith", email="")], [proposal(member(9, "R. Smith"))]) == []


def test_one_named_finding_per_member_whatever_the_number_of_reasons():
    rev = reviewer(user_id=9)
    found = detect([rev], [proposal(member(9, "Rita Reviewer", "rita@example.org"), member(4, "Rita Reviewer"))])
    assert summary(found) == [(0, 0, ROLE_NAMED, "real", 4), (0, 0, ROLE_NAMED, "real", 9)]
    assert found[1].evidence_data["matched_on"] == ["email", "name", "user"]


# --- INST_SAME / INST_FORMER ---------------------------------------------------------------------


def affiliation(organization_id=None, name="", end=None, start=None):
    return Affiliation(organization_id, name, start, end)


def institutional(*affiliations, config=DEFAULT, **proposal_org):
    proposals = [proposal(member(50, "Team Member"), **proposal_org)]
    return detect([reviewer(affiliations=affiliations)], proposals, config)


def test_current_affiliation_by_organisation_id():
    found = institutional(affiliation(5, "Whatever"), organization_id=5, organization_name="Oslo University")
    assert summary(found) == [(0, 0, INST_SAME, "real", None)]
    assert found[0].conflicting_organization_id == 5
    assert found[0].evidence_data["organization_name"] == "Oslo University"


def test_current_affiliation_by_normalised_name():
    found = institutional(affiliation(None, "University of  OSLO."), organization_name="university of oslo")
    assert summary(found) == [(0, 0, INST_SAME, "real", None)]


def test_unknown_or_blank_organisations_never_match():
    assert institutional(affiliation(None, ""), organization_id=None, organization_name="") == []
    assert institutional(affiliation(5, "Oslo"), organization_id=6, organization_name="Bergen") == []


@pytest.mark.parametrize(
    ("end", "expected"),
    [
        (None, INST_SAME),
        (TODAY + timedelta(days=30), INST_SAME),
        (TODAY, INST_SAME),  # ends today: still current
        (TODAY - timedelta(days=1), INST_FORMER),
        (TODAY - timedelta(days=2 * 365), INST_FORMER),  # last day of the look-back window
        (TODAY - timedelta(days=2 * 365 + 1), None),
    ],
)
def test_affiliation_end_date_boundaries(end, expected):
    found = institutional(affiliation(5, end=end), organization_id=5)
    assert [f.coi_type for f in found] == ([expected] if expected else [])
    if expected == INST_FORMER:
        assert found[0].severity == "apparent"
        assert found[0].evidence_data["affiliations"][0]["end_date"] == end.isoformat()


def test_institutional_lookback_years_scales_the_window():
    old = affiliation(5, end=TODAY - timedelta(days=3 * 365))
    assert institutional(old, organization_id=5) == []
    wide = DetectionConfig(institutional_lookback_years=3)
    assert [f.coi_type for f in institutional(old, organization_id=5, config=wide)] == [INST_FORMER]
    none = DetectionConfig(institutional_lookback_years=0)
    assert institutional(affiliation(5, end=TODAY - timedelta(days=1)), organization_id=5, config=none) == []


def test_same_institution_can_be_switched_off_alone():
    config = DetectionConfig(include_same_institution=False)
    affiliations = [affiliation(5), affiliation(5, end=TODAY - timedelta(days=10))]
    assert [f.coi_type for f in institutional(*affiliations, organization_id=5, config=config)] == [INST_FORMER]


def test_several_matching_affiliations_give_one_finding():
    affiliations = [affiliation(5, "Oslo"), affiliation(None, "oslo", start=date(2001, 1, 1))]
    found = institutional(*affiliations, organization_id=5, organization_name="Oslo")
    assert summary(found) == [(0, 0, INST_SAME, "real", None)]
    assert len(found[0].evidence_data["affiliations"]) == 2


# --- COAUTH_RECENT / COAUTH_OLD -------------------------------------------------------------------

JANE = member(20, "Jane Doe", orcid="0000-0001-2345-6789")


def coauthorship(*publications, config=DEFAULT, team=(JANE,), rev=None):
    rev = rev or reviewer(publications=publications)
    return detect([rev], [proposal(member(30, "Lead Person"), *team)], config)


@pytest.mark.parametrize(
    ("years", "expected"),
    [
        ([YEAR], (COAUTH_RECENT, "apparent")),
        ([YEAR - 1], (COAUTH_RECENT, "apparent")),  # last year still counts as recent
        ([YEAR - 2], (COAUTH_OLD, "potential")),
        ([YEAR - 3], (COAUTH_OLD, "potential")),  # first year of the look-back window
        ([YEAR - 4], None),
        ([YEAR - 2, YEAR - 3, YEAR - 3], (COAUTH_OLD, "potential")),  # many old papers stay potential
        ([YEAR - 1, YEAR - 2], (COAUTH_RECENT, "apparent")),
        ([YEAR, YEAR - 2, YEAR - 3], (COAUTH_RECENT, "real")),  # 3 papers in the window, 1 recent
        ([YEAR, YEAR - 2, YEAR - 4], (COAUTH_RECENT, "apparent")),  # the third is outside the window
        ([None], None),  # no year, cannot be placed
    ],
)
def test_coauthorship_years_and_severity(years, expected):
    found = coauthorship(*[paper(year, "Jane Doe") for year in years])
    assert summary(found) == ([(0, 0, *expected, 20)] if expected else [])


def test_coauthorship_lookback_years_moves_the_window():
    assert coauthorship(paper(YEAR - 4, "Jane Doe"), config=DetectionConfig(coauthorship_lookback_years=4))
    found = coauthorship(paper(YEAR - 1, "Jane Doe"), config=DetectionConfig(coauthorship_lookback_years=0))
    assert found == []


def test_duplicate_paper_entries_count_once_with_their_latest_year():
    found = coauthorship(paper(YEAR - 1, "Jane Doe", doi="10.1/a"), paper(YEAR - 2, "Jane Doe", doi="10.1/A"))
    assert summary(found) == [(0, 0, COAUTH_RECENT, "apparent", 20)]
    assert "1 paper since" in found[0].evidence_description


def test_coauthorship_threshold_counts_distinct_papers():
    config = DetectionConfig(coauthorship_threshold_papers=2)
    assert coauthorship(paper(YEAR, "Jane Doe"), config=config) == []
    same_doi = [paper(YEAR, "Jane Doe", doi="10.1/A"), paper(YEAR - 1, "J. Doe", doi="https://doi.org/10.1/a")]
    assert coauthorship(*same_doi, config=config) == []
    same_title = [paper(YEAR, "Jane Doe", title="On Graphs"), paper(YEAR, "Jane Doe", title="on graphs!")]
    assert coauthorship(*same_title, config=config) == []
    found = coauthorship(paper(YEAR, "Jane Doe", doi="10.1/a"), paper(YEAR, "Jane Doe", doi="10.1/b"), config=config)
    assert summary(found) == [(0, 0, COAUTH_RECENT, "apparent", 20)]
    assert [p["doi"] for p in found[0].evidence_data["papers"]] == ["10.1/a", "10.1/b"]


@pytest.mark.parametrize(
    "coauthor",
    [
        Coauthor("JANE DOE", None),  # normalised name
        Coauthor("Doe, Jane", None),
        Coauthor("J. Doe", None),  # surname and first initial
        Coauthor("Doe, J.", None),
        Coauthor("Somebody Else", "https://orcid.org/0000-0001-2345-6789"),  # team member's ORCID
    ],
)
def test_coauthor_matches(coauthor):
    assert summary(coauthorship(paper(YEAR, coauthor))) == [(0, 0, COAUTH_RECENT, "apparent", 20)]


@pytest.mark.parametrize(
    "coauthor",
    [
        Coauthor("K. Doe", None),  # other initial
        Coauthor("Doe", None),  # a bare surname is not enough
        Coauthor("Jane Doe", "0000-0009-9999-9999"),  # both ORCIDs known and different
    ],
)
def test_coauthor_mismatches(coauthor):
    assert coauthorship(paper(YEAR, coauthor)) == []


def test_coauthor_matches_team_member_alternative_name():
    team = [member(21, "Jana Novakova", alternative_names=["Jana Smith"])]
    assert summary(coauthorship(paper(YEAR, "J. Smith"), team=team)) == [(0, 0, COAUTH_RECENT, "apparent", 21)]


def test_reviewer_is_not_their_own_coauthor():
    # the reviewer, a team member too, appears in their own author list: only ROLE_NAMED
    rev = reviewer(user_id=20, name="Jane Doe", email="", publications=[paper(YEAR, "Jane Doe", "Rita Reviewer")])
    assert summary(detect([rev], [proposal(JANE)])) == [(0, 0, ROLE_NAMED, "real", 20)]
    # a co-author spelled like the reviewer is the reviewer, not a team member with that name
    rev = reviewer(name="Jane Doe", email="", publications=[paper(YEAR, "Jane Doe")])
    assert summary(detect([rev], [proposal(member(30, "Lead Person"), member(40, "J. Doe"))])) == []


def test_one_coauthorship_finding_per_team_member():
    team = [JANE, member(22, "Max Muster")]
    papers = [paper(YEAR, "Jane Doe", "J. Doe", "Max Muster"), paper(YEAR - 2, "M. Muster")]
    found = coauthorship(*papers, team=team)
    assert summary(found) == [(0, 0, COAUTH_RECENT, "apparent", 20), (0, 0, COAUTH_RECENT, "apparent", 22)]
    max_finding = found[1]
    assert max_finding.evidence_data["coauthor_names"] == ["M. Muster", "Max Muster"]
    assert "2 papers" in max_finding.evidence_description


# --- switches, chunks, evidence -----------------------------------------------------------------


def everything():
    rev = reviewer(
        user_id=7,
        affiliations=[affiliation(5), affiliation(6, end=TODAY - timedelta(days=5))],
        publications=[paper(YEAR, "Jane Doe")],
    )
    proposals = [
        proposal(member(7, "Rita Reviewer")),
        proposal(member(30, "Lead"), organization_id=5),
        proposal(member(31, "Lead"), organization_id=6),
        proposal(member(32, "Lead"), JANE),
    ]
    return [rev], proposals


@pytest.mark.parametrize(
    ("switch", "missing"),
    [
        ("detect_named_personnel", {ROLE_NAMED}),
        ("detect_institutional", {INST_SAME, INST_FORMER}),
        ("include_same_institution", {INST_SAME}),
        ("detect_coauthorship", {COAUTH_RECENT}),
    ],
)
def test_disabled_detectors_find_nothing(switch, missing):
    all_types = {ROLE_NAMED, INST_SAME, INST_FORMER, COAUTH_RECENT}
    assert {f.coi_type for f in detect(*everything())} == all_types
    found = detect(*everything(), config=DetectionConfig(**{switch: False}))
    assert {f.coi_type for f in found} == all_types - missing


def test_no_reviewers_no_chunks_and_bad_chunk_size():
    assert list(detect_conflicts([], [proposal(JANE)], DEFAULT, today=TODAY)) == []
    with pytest.raises(ValueError):
        list(detect_conflicts(*everything(), DEFAULT, today=TODAY, chunk_size=0))


# --- random calls: chunking and a naive pair-by-pair reference ----------------------------------

FIRST = ["John", "Jane", "José", "Ann", "J."]
LAST = ["Smith", "O'Neil", "Müller", "Doe"]
ORCIDS = [None, None, "0000-0001-0000-0001", "0000-0001-0000-0002"]


def random_call(seed):
    rng = random.Random(seed)

    def name():
        first, last = rng.choice(FIRST), rng.choice(LAST)
        return rng.choice([f"{first} {last}", f"{last}, {first}", f"Dr. {first.upper()} {last}"])

    def day():
        return TODAY + timedelta(days=rng.randint(-4 * 365, 365))

    def person(user_id):
        email = rng.choice(["", "", "u1@X.org", "U2@x.org "])
        return Person(user_id, email, name(), rng.choice(ORCIDS), [name()] if rng.random() < 0.2 else [])

    def organisation():
        return rng.choice([(1, "Oslo"), (2, "MIT"), (None, "oslo"), (None, ""), (3, "M.I.T.")])

    def publication():
        coauthors = [Coauthor(name(), rng.choice(ORCIDS)) for _ in range(rng.randint(0, 3))]
        doi, title = rng.choice(["", "", "10.1/a", "10.1/A", "10.1/b"]), rng.choice(["On X", "on x", "Y", ""])
        return Publication(doi, title, rng.choice([None, *range(YEAR - 5, YEAR + 1)]), coauthors)

    reviewers = [
        ReviewerRecord(
            user_id=uid, email=rng.choice(["", "u1@x.org", "u2@x.org"]), full_name=name(),
            alternative_names=[name()] if rng.random() < 0.3 else [], orcid=rng.choice(ORCIDS),
            affiliations=[
                Affiliation(*organisation(), day(), rng.choice([None, day()])) for _ in range(rng.randint(0, 3))
            ],
            publications=[publication() for _ in range(rng.randint(0, 5))],
        )
        for uid in range(1, rng.randint(2, 12))
    ]
    proposals = []
    for _ in range(rng.randint(1, 10)):
        team = [person(rng.choice([None, *range(1, 16)])) for _ in range(rng.randint(0, 4))]
        title, doi = rng.choice(["On X", "on x!", "Z", ""]), rng.choice(["", "", "10.1/b", "doi:10.1/A"])
        proposals.append(ProposalRecord(rng.choice([None, *range(1, 16)]), team, *organisation(), title, doi))
    config = DetectionConfig(
        coauthorship_lookback_years=rng.randint(0, 4), coauthorship_threshold_papers=rng.randint(1, 3),
        institutional_lookback_years=rng.randint(0, 3), include_same_institution=rng.random() < 0.8,
    )
    return reviewers, proposals, config


def naive(reviewers, proposals, config):
    """The §5.7 rules applied pair by pair, straight from the records."""
    out = set()
    for r, rev in enumerate(reviewers):
        rev_names = {n for n in map(normalize_name, [rev.full_name, *rev.alternative_names]) if n}
        rev_orcid = normalize_orcid(rev.orcid)
        for p, prop in enumerate(proposals):
            team = list(prop.team)
            if prop.creator_id is not None and prop.creator_id not in {m.user_id for m in team}:
                team.append(Person(prop.creator_id, "", "", None))
            for m in team:
                names = {n for n in map(normalize_name, [m.full_name, *m.alternative_names]) if n}
                email = m.email.strip().casefold()
                if m.user_id == rev.user_id or (email and email == rev.email.strip().casefold()) or names & rev_names:
                    out.add((r, p, ROLE_NAMED, "real", m.user_id))
            for a in rev.affiliations:
                org_name = normalize_key(a.organization_name)
                same_org = (a.organization_id is not None and a.organization_id == prop.organization_id) or (
                    org_name != "" and org_name == normalize_key(prop.organization_name)
                )
                if not same_org:
                    continue
                if a.end_date is None or a.end_date >= TODAY:
                    if config.include_same_institution:
                        out.add((r, p, INST_SAME, "real", None))
                elif (TODAY - a.end_date).days <= 365 * config.institutional_lookback_years:
                    out.add((r, p, INST_FORMER, "apparent", None))
            for pub in rev.publications:
                doi, title = normalize_doi(pub.doi), normalize_key(pub.title)
                if (doi and doi == normalize_doi(prop.doi)) or (title and title == normalize_key(prop.title)):
                    out.add((r, p, ROLE_NAMED, "real", rev.user_id))
            shared = defaultdict(dict)  # conflicting user -> paper key -> year
            rev_parsed = parse_spellings([rev.full_name, *rev.alternative_names]).values()
            for m in team:
                if m.user_id == rev.user_id:
                    continue
                m_parsed = parse_spellings([m.full_name, *m.alternative_names]).values()
                for i, pub in enumerate(rev.publications):
                    if pub.year is None or pub.year < YEAR - config.coauthorship_lookback_years:
                        continue
                    for co in pub.coauthors:
                        co_orcid, m_orcid = normalize_orcid(co.orcid), normalize_orcid(m.orcid)
                        co_parsed = parse_name(co.name)

                        def can_be(parsed_names, co_parsed=co_parsed):
                            return co_parsed is not None and any(match_rule(co_parsed, n) for n in parsed_names)

                        is_reviewer = co_orcid == rev_orcid if co_orcid and rev_orcid else can_be(rev_parsed)
                        if is_reviewer:
                            continue
                        same = (co_orcid == m_orcid) if (co_orcid and m_orcid) else can_be(m_parsed)
                        if same:
                            doi, title = normalize_doi(pub.doi), normalize_key(pub.title)
                            key = f"doi:{doi}" if doi else f"title:{title}" if title else i
                            shared[m.user_id][key] = max(pub.year, shared[m.user_id].get(key, pub.year))
            for user_id, papers in shared.items():
                if len(papers) >= config.coauthorship_threshold_papers:
                    if max(papers.values()) >= YEAR - 1:
                        out.add((r, p, COAUTH_RECENT, "real" if len(papers) >= 3 else "apparent", user_id))
                    else:
                        out.add((r, p, COAUTH_OLD, "potential", user_id))
    return sorted(out, key=by_user)


@pytest.mark.parametrize("seed", range(60))
def test_detection_equals_naive_reference_in_any_chunking(seed):
    reviewers, proposals, config = random_call(seed)
    whole = detect(reviewers, proposals, config, chunk_size=1000)
    assert summary(whole) == naive(reviewers, proposals, config)
    chunks = list(detect_conflicts(reviewers, proposals, config, today=TODAY, chunk_size=3))
    assert len(chunks) == -(-len(reviewers) // 3)
    assert all(f.reviewer // 3 == i for i, chunk in enumerate(chunks) for f in chunk)
    assert [f for chunk in chunks for f in chunk] == whole == detect(reviewers, proposals, config, chunk_size=1)
    keys = [(f.reviewer, f.proposal, f.coi_type, f.conflicting_user_id) for f in whole]
    assert len(keys) == len(set(keys))
    for f in whole:
        json.dumps(f.evidence_data)
        assert f.evidence_description.endswith(".")


def test_random_calls_exercise_every_type():
    found = {f.coi_type for seed in range(60) for f in detect(*random_call(seed)[:2], random_call(seed)[2])}
    assert found == {ROLE_NAMED, INST_SAME, INST_FORMER, COAUTH_RECENT, COAUTH_OLD}


# --- the reviewer's own work (issue 10 item 5) ---------------------------------------------------


@pytest.mark.parametrize(
    ("own", "matched_on"),
    [
        (dict(title="Counting Cells, with Deep Learning"), "title"),
        (dict(title="Another title", doi="https://doi.org/10.1/CELLS"), "DOI"),
    ],
)
def test_a_proposal_that_is_the_reviewers_publication_is_named_personnel(own, matched_on):
    rev = reviewer(user_id=7, publications=[paper(YEAR - 9, **own)])
    mine = ProposalRecord(3, [member(3, "Ann Other")], None, "", title="counting cells with deep learning",
                          doi="10.1/cells")
    found = detect([rev], [mine, ProposalRecord(3, [member(3, "Ann Other")], None, "", title="Counting")])
    assert summary(found) == [(0, 0, ROLE_NAMED, "real", 7)]
    assert found[0].evidence_data["matched_on"] == ["publication"]
    assert found[0].evidence_data["publications"][0]["matched_on"] == matched_on
    assert f"same {matched_on})" in found[0].evidence_description


def test_own_publication_and_team_membership_are_one_finding():
    rev = reviewer(user_id=7, publications=[paper(YEAR, title="On Graphs")])
    found = detect([rev], [ProposalRecord(7, [member(7, "Rita Reviewer")], None, "", title="On graphs")])
    assert summary(found) == [(0, 0, ROLE_NAMED, "real", 7)]
    assert found[0].evidence_data["matched_on"] == ["name", "publication", "user"]
    assert found[0].evidence_description.startswith("Reviewer is the proposal's creator or a member of its team. The")


# --- what the detectors report (issue 10 item 3) -------------------------------------------------


def report_of(reviewers, proposals, config=DEFAULT):
    report = DetectionReport(config)
    report.count_inputs(reviewers, proposals)
    for _ in detect_conflicts(reviewers, proposals, config, today=TODAY, chunk_size=1, report=report):
        pass
    return report.as_dict(first_coauthorship_year=YEAR - config.coauthorship_lookback_years, new_conflicts={})


def test_report_counts_what_the_coauthorship_detector_left_out():
    rev = reviewer(publications=[
        paper(YEAR - 5, "Jane Doe"), paper(None, "Jane Doe"), paper(YEAR, "Joan Doe"),
        paper(YEAR, Coauthor("Jane Doe", "0000-0009-9999-9999")), paper(YEAR, "J. Doe"),
    ])
    result = report_of([rev, reviewer(user_id=2)], [proposal(JANE)], DetectionConfig(coauthorship_threshold_papers=2))
    coauthorship = result["coauthorship"]
    assert coauthorship["pairs_checked"] == 2 and coauthorship["found"] == 0
    assert {k: v for k, v in coauthorship["counts"].items() if k not in ("reviewers", "proposals")} == {
        "before_lookback": 1, "undated": 1, "first_names_differ": 1, "orcids_differ": 1, "below_threshold": 1,
        "reviewer_publications": 5, "reviewers_without_publications": 1,
    }
    assert coauthorship["notes"][0] == "1 of 2 reviewers has no publications on record."
    assert any('("Joan Doe" and team member "Jane Doe")' in note for note in coauthorship["notes"])
    assert "1 reviewer–team member pair has fewer than 2 shared papers in the look-back and was not counted " \
           "(coauthorship_threshold_papers)." in coauthorship["notes"]


def test_report_counts_what_the_institutional_detector_left_out():
    rev = reviewer(affiliations=[affiliation(5), affiliation(5, end=TODAY - timedelta(days=5 * 365))])
    config = DetectionConfig(include_same_institution=False)
    proposals = [proposal(member(50, "Team Member"), organization_id=5), proposal(member(51, "Other"))]
    institutional = report_of([rev], proposals, config)["institutional"]
    assert (institutional["pairs_checked"], institutional["found"]) == (2, 0)
    assert institutional["counts"] == {"current_not_counted": 1, "ended_before_lookback": 1, "proposals": 2,
                                       "proposals_without_organisation": 1, "reviewers": 1}
    assert institutional["notes"] == [
        "1 of 2 proposals has no organisation.",
        "1 affiliation with a proposal's organisation ended more than 2 years ago (institutional_lookback_years) "
        "and was not counted.",
        "1 current affiliation with a proposal's organisation was not counted: same-institution detection is off "
        "(include_same_institution).",
        "No reviewer's current or recent affiliation is with a proposal's organisation.",
    ]
