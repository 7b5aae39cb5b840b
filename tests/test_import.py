"""`referee import`: the happy path, idempotent re-import, validation errors and atomicity."""

import copy
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from referee.calls.models import Call, Proposal, Round
from referee.core.models import AuditEvent, Customer, User
from referee.imports import ImportInvalid, import_data, loader
from referee.reviewers.models import (
    CallReviewerPool,
    ReviewerAffiliation,
    ReviewerExpertise,
    ReviewerProfile,
    ReviewerPublication,
)
from tests import factories as f

EXAMPLE = Path(__file__).resolve().parent.parent / "referee" / "imports" / "example.json"
MODELS = (Customer, User, Call, Round, Proposal, ReviewerProfile, ReviewerAffiliation, ReviewerExpertise,
          ReviewerPublication, CallReviewerPool)

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    return json.loads(EXAMPLE.read_text())


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_example_file_imports_everything(data):
    stats = import_data(data)

    assert {entity: c["created"] for entity, c in stats.items()} == {
        "organisations": 3, "users": 5, "calls": 1, "rounds": 1, "proposals": 1, "reviewers": 1,
        "affiliations": 2, "expertise": 2, "publications": 2, "pool entries": 1,
    }
    call = Call.objects.get(slug="hpc-2027-example")
    assert call.state == "active" and call.manager.name == "University of Tartu"
    assert [u.username for u in call.managers.all()] == ["kmanager"]
    assert call.assignment_config and call.coi_config and call.matching_config  # created by create_call
    proposal = Proposal.objects.get(slug="ocean-eddies")
    assert proposal.round.slug == "spring-2027" and proposal.call == call
    assert proposal.created_by.username == "jdoe"  # referenced by e-mail
    assert set(proposal.team.values_list("username", flat=True)) == {"jdoe", "asmith"}
    assert proposal.organization.name == "Max Planck Institute for Meteorology"
    profile = ReviewerProfile.objects.get(user__username="lrossi")
    assert profile.orcid_id == "0000-0002-1825-0097" and profile.is_published and profile.published_at
    assert profile.alternative_names == ["L. Rossi", "Lucia M. Rossi"]
    current = profile.affiliations.get(end_date=None)
    assert current.organization.name == "ETH Zurich" and current.organization_name == "ETH Zurich"
    # Issue 14: the countries and career stages the diversity rules read.
    assert (current.country, current.organization.country, profile.career_stage) == ("CH", "CH", "established")
    assert profile.affiliations.get(organization_name="University of Tartu").country == ""
    assert profile.expertise_set.get(expertise_keyword="ocean modelling").proficiency_level == "expert"
    paper = profile.publications.get(doi="10.1175/JPO-D-23-0001.1")
    assert paper.coauthors[1] == {"name": "Jane Doe", "orcid": "0000-0001-5109-3700"}
    assert profile.publications.get(doi=None).venue_type == "conference"
    entry = CallReviewerPool.objects.get(call=call, reviewer=profile)
    assert (entry.invitation_status, entry.max_assignments) == ("accepted", 5) and entry.response_date
    assert User.objects.get(username="auditor").is_support
    # Issue 10: users an import creates hold no API token until they ask for one (before: all had one).
    assert not Token.objects.exists()
    event = AuditEvent.objects.get(event_type="CALL_IMPORTED")
    assert event.call == call and event.context["counts"]["proposals"] == {"created": 1}


def test_imported_users_get_a_token_only_when_one_is_asked_for(data):
    import_data(data)
    assert not Token.objects.exists()
    token = call_command_output("token", "jdoe")  # the staff's way
    assert Token.objects.get().key == token and Token.objects.get().user.username == "jdoe"


def call_command_output(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip()


def test_reimport_of_same_file_changes_nothing(data):
    import_data(data)
    before = counts()
    stats = import_data(copy.deepcopy(data))
    assert counts() == before
    assert all(set(c) == {"unchanged"} for c in stats.values()), stats


def test_reimport_updates_rows_in_place_by_natural_keys(data):
    import_data(data)
    before = counts()
    data["users"][1]["last_name"] = "Doe-Smith"
    data["call"]["name"] = "Renamed call"
    data["rounds"][0]["review_duration_in_days"] = 21
    data["proposals"][0].update(name="New title", state="in_review", team=["asmith"])
    reviewer = data["reviewers"][0]
    reviewer["biography"] = "Updated."
    reviewer["affiliations"][0]["end_date"] = "2026-12-31"  # same organisation and start date
    # Matched case-insensitively: the stored spelling follows the file.
    reviewer["expertise"][0].update(expertise_keyword="Ocean Modelling", proficiency_level="familiar")
    reviewer["publications"][0]["title"] = "Corrected title"  # matched by DOI
    reviewer["publications"][1]["venue"] = "SC'22"  # no DOI: matched by title + year
    data["pool"][0].update(invitation_status="declined", max_assignments=3)

    stats = import_data(data)

    assert counts() == before
    assert stats["users"] == {"updated": 1, "unchanged": 4}
    assert stats["publications"] == {"updated": 2}
    assert User.objects.get(username="jdoe").last_name == "Doe-Smith"
    assert Call.objects.get().name == "Renamed call"
    assert Round.objects.get().review_duration_in_days == 21
    proposal = Proposal.objects.get()
    assert (proposal.name, proposal.state) == ("New title", "in_review")
    assert set(proposal.team.values_list("username", flat=True)) == {"jdoe", "asmith"}  # creator stays
    profile = ReviewerProfile.objects.get()
    assert profile.biography == "Updated."
    assert str(profile.affiliations.get(organization_name="ETH Zurich").end_date) == "2026-12-31"
    expertise = profile.expertise_set.get(expertise_keyword__iexact="ocean modelling")
    assert (expertise.expertise_keyword, expertise.proficiency_level) == ("Ocean Modelling", "familiar")
    assert profile.publications.get(doi__isnull=False).title == "Corrected title"
    assert profile.publications.get(doi=None).venue == "SC'22"
    entry = CallReviewerPool.objects.get()
    assert (entry.invitation_status, entry.max_assignments) == ("declined", 3)


def test_a_doi_added_later_updates_the_paper_stored_without_one(data):
    import_data(data)
    data["reviewers"][0]["publications"][1]["doi"] = "10.1145/sc22.1"
    stats = import_data(data)
    assert stats["publications"] == {"updated": 1, "unchanged": 1}
    assert ReviewerPublication.objects.filter(title__startswith="Scaling").get().doi == "10.1145/sc22.1"


def test_omitted_fields_keep_their_values(data):
    import_data(data)
    partial = {"users": [{"username": "jdoe"}],
               "reviewers": [{"user": "lrossi", "biography": "Short bio."}]}
    stats = import_data(partial)
    assert stats["users"] == {"unchanged": 1} and stats["reviewers"] == {"updated": 1}
    jdoe = User.objects.get(username="jdoe")
    assert (jdoe.email, jdoe.first_name) == ("jane.doe@example.org", "Jane")
    profile = ReviewerProfile.objects.get()
    assert profile.orcid_id == "0000-0002-1825-0097" and profile.expertise_set.count() == 2


def test_references_resolve_to_existing_rows(data):
    f.user("existing", email="Existing@Example.org")
    f.customer("Existing Org")
    import_data(data)
    more = {"call": {"slug": "hpc-2027-example", "name": "Example HPC Allocation Call 2027"},
            "proposals": [{"slug": "second", "round": "spring-2027", "name": "Second",
                           "creator": "existing@example.org", "organisation": "Existing Org"}]}
    import_data(more)
    second = Proposal.objects.get(slug="second")
    assert second.created_by.username == "existing" and second.organization.name == "Existing Org"
    assert list(second.team.values_list("username", flat=True)) == ["existing"]


def mutate(path, value):
    """A change to the example: set `value` at `path` (keys and indexes); `...` deletes the key."""
    def apply(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        if value is ...:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return apply


def append(path, item):
    def apply(data):
        target = data
        for key in path:
            target = target[key]
        target.append(item)
    return apply


# Issue 10: a record is named by its index, its title or name, and its key.
PROPOSAL = 'proposals[0] "Eddy-resolving ocean simulations of the North Atlantic" (slug "ocean-eddies")'
REVIEWER = 'reviewers[0] (user "lrossi")'
INVALID = {
    "enum": (mutate(["proposals", 0, "state"], "foo"),
             f'{PROPOSAL}: state: "foo" is not one of draft, submitted, in_review, accepted, rejected, canceled'),
    "orcid": (mutate(["reviewers", 0, "orcid_id"], "0000-0002-1825-009"),
              f'{REVIEWER}: orcid_id: "0000-0002-1825-009": ORCID must be in format'),
    "date": (mutate(["reviewers", 0, "affiliations", 0, "start_date"], "2019-13-01"),
             f'{REVIEWER}: affiliations[0] (organisation "ETH Zurich"): start_date: must be a date YYYY-MM-DD'),
    "end before start": (mutate(["reviewers", 0, "affiliations", 1, "end_date"], "2010-01-01"),
                         f'{REVIEWER}: affiliations[1] (organisation "University of Tartu"): end_date: End date'),
    "round times": (mutate(["rounds", 0, "cutoff_time"], "2027-01-01T00:00:00"),
                    'rounds[0] "Spring 2027" (slug "spring-2027"): cutoff_time: must be after start_time'),
    "datetime": (mutate(["rounds", 0, "start_time"], "soon"),
                 'rounds[0] "Spring 2027" (slug "spring-2027"): start_time: must be an ISO 8601 date-time, not "soon"'),
    "type": (mutate(["pool", 0, "max_assignments"], "5"),
             'pool[0] (reviewer "lrossi"): max_assignments: must be an integer between 1 and 50, not "5"'),
    "range": (mutate(["pool", 0, "max_assignments"], 51),
              'pool[0] (reviewer "lrossi"): max_assignments: must be an integer between 1 and 50, not 51'),
    "boolean": (mutate(["users", 4, "is_support"], "yes"), 'users[4] "Ada Auditor" (username "auditor"): is_support: must be true'),
    "slug": (mutate(["call", "slug"], "not a slug"),
             'call "Example HPC Allocation Call 2027" (slug "not a slug"): slug: "not a slug" is not a valid slug'),
    "email": (mutate(["users", 0, "email"], "nope"), 'users[0] "Kadri Mets" (username "kmanager"): email: "nope" is not a valid'),
    "coauthor": (mutate(["reviewers", 0, "publications", 0, "coauthors"], [{"orcid": "0000-0001-5109-3700"}]),
                 f'{REVIEWER}: publications[0] "Mesoscale eddy energy pathways in a warming North Atlantic" (doi "10.1175/JPO-D-23-0001.1"): coauthors: [0]: must be a name'),
    "required": (mutate(["proposals", 0, "name"], ...), 'proposals[0] (slug "ocean-eddies"): name: is required'),
    "nul": (mutate(["proposals", 0, "description"], "a\x00b"), f"{PROPOSAL}: description: must not contain NUL"),
    "unknown field": (mutate(["proposals", 0, "title"], "x"), f'{PROPOSAL}: unknown field "title"'),
    "unknown section": (mutate(["batches"], []), 'file: unknown section "batches"'),
    "not an object": (mutate(["proposals", 0], "x"), 'proposals[0]: must be an object, not "x"'),
    "duplicate slug": (append(["proposals"], {"slug": "ocean-eddies", "round": "spring-2027", "name": "Twin"}),
                       'proposals[1] "Twin" (slug "ocean-eddies"): slug: duplicate of ' + PROPOSAL),
    "duplicate username": (append(["users"], {"username": "jdoe"}), 'users[5] (username "jdoe"): username: duplicate of users[1] "Jane Doe" (username "jdoe")'),
    "duplicate keyword": (append(["reviewers", 0, "expertise"], {"expertise_keyword": "Ocean Modelling"}),
                          f'{REVIEWER}: expertise[2] (expertise_keyword "Ocean Modelling"): expertise_keyword: '
                          f'duplicate of {REVIEWER}: expertise[0]'),
    "duplicate doi": (append(["reviewers", 0, "publications"],
                             {"title": "Other", "publication_year": 2020, "doi": "10.1175/jpo-d-23-0001.1"}),
                      f'{REVIEWER}: publications[2] "Other" (doi "10.1175/jpo-d-23-0001.1"): doi or title and '
                      f'publication_year: duplicate'),
    "duplicate title and year": (append(["reviewers", 0, "publications"],
                                        {"title": "scaling an ocean model to 10,000 GPUs", "publication_year": 2022}),
                                 f'{REVIEWER}: publications[2] "scaling an ocean model to 10,000 GPUs": doi or title and '
                                 f'publication_year: duplicate of {REVIEWER}: publications[1] "Scaling an ocean model '
                                 f'to 10,000 GPUs"'),
    "duplicate affiliation": (append(["reviewers", 0, "affiliations"],
                                     {"organisation": "ETH Zurich", "start_date": "2019-09-01"}),
                              f'{REVIEWER}: affiliations[2] (organisation "ETH Zurich"): organisation and start_date: '
                              f'duplicate'),
    "unknown user": (mutate(["proposals", 0, "creator"], "ghost"),
                     f'{PROPOSAL}: creator: user "ghost" is not in users and does not exist'),
    "unknown e-mail": (mutate(["proposals", 0, "team"], ["ghost@example.org"]),
                       f'{PROPOSAL}: team: user "ghost@example.org" is not in users and does not exist'),
    "unknown organisation": (mutate(["proposals", 0, "organisation"], "Nowhere"),
                             f'{PROPOSAL}: organisation: organisation "Nowhere" is not in organisations'),
    "unknown round": (mutate(["proposals", 0, "round"], "autumn"), f'{PROPOSAL}: round: "autumn" is not in rounds'),
    "pool without profile": (append(["pool"], {"reviewer": "asmith"}),
                             'pool[1] (reviewer "asmith"): reviewer: user "asmith" has no reviewer profile'),
    "pool without call": (mutate(["call"], ...), "pool: needs a call section"),
    "version": (mutate(["version"], 2), "version: 2 is not supported"),
    "country": (mutate(["organisations", 0, "country"], "Estonia"),
                'organisations[0] (name "University of Tartu"): country: "Estonia" is not an ISO 3166-1 alpha-2'),
    "affiliation country": (mutate(["reviewers", 0, "affiliations", 0, "country"], "ch"),
                            f'{REVIEWER}: affiliations[0] (organisation "ETH Zurich"): country: "ch" is not an ISO'),
    "career stage": (mutate(["reviewers", 0, "career_stage"], "professor"),
                     f'{REVIEWER}: career_stage: "professor" is not one of doctoral, postdoc, established, senior'),
}


@pytest.mark.parametrize("case", INVALID)
def test_invalid_record_is_named_and_nothing_is_written(data, case):
    change, message = INVALID[case]
    change(data)
    with pytest.raises(ImportInvalid) as refused:
        import_data(data)
    assert any(e.startswith(message) for e in refused.value.errors), refused.value.errors
    assert set(counts().values()) == {0}


def test_every_problem_is_reported_at_once(data):
    data["proposals"][0]["state"] = "foo"
    data["reviewers"][0]["orcid_id"] = "bad"
    data["pool"][0]["max_assignments"] = 0
    with pytest.raises(ImportInvalid) as refused:
        import_data(data)
    assert len(refused.value.errors) == 3


def test_orcid_of_another_users_profile_is_refused(data):
    f.profile(f.user("holder"), orcid_id="0000-0002-1825-0097")
    before = counts()
    with pytest.raises(ImportInvalid) as refused:
        import_data(data)
    assert refused.value.errors == [f'{REVIEWER}: orcid_id: "0000-0002-1825-0097" belongs to user "holder"']
    assert counts() == before


def test_ambiguous_email_reference_is_refused(data):
    f.user("one", email="shared@example.org")
    f.user("two", email="SHARED@example.org")
    data["proposals"][0]["creator"] = "shared@example.org"
    with pytest.raises(ImportInvalid, match="matches several users"):
        import_data(data)


def test_a_failure_while_writing_rolls_everything_back(data, monkeypatch):
    def fail(self, call, values):
        raise RuntimeError("disk full")

    monkeypatch.setattr(loader.Loader, "pool_entry", fail)  # the last section: all else is written by then
    with pytest.raises(RuntimeError):
        import_data(data)
    assert set(counts().values()) == {0}


def test_dry_run_reports_but_writes_nothing(data):
    stats = import_data(data, dry_run=True)
    assert stats["proposals"]["created"] == 1
    assert set(counts().values()) == {0}


def test_progress_bar_counts_every_record(data):
    seen = {}

    class Bar:
        def __init__(self, total):
            seen["total"], seen["done"] = total, 0

        def update(self, n=1):
            seen["done"] += n

        def close(self):
            seen["closed"] = True

    import_data(data, progress=Bar)
    assert seen == {"total": 3 + 5 + 1 + 1 + 1 + 1 + 1, "done": 13, "closed": True}


def test_command_prints_summary(capsys):
    call_command("import", str(EXAMPLE))
    out = capsys.readouterr().out
    assert "proposals" in out and "Imported" in out
    call_command("import", str(EXAMPLE))
    assert "unchanged" in capsys.readouterr().out
    assert Proposal.objects.count() == 1


def test_command_fails_naming_the_record(tmp_path, data):
    data["proposals"][0]["state"] = "foo"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CommandError) as refused:
        call_command("import", str(path))
    assert f'{PROPOSAL}: state: "foo" is not one of' in str(refused.value)
    assert "1 problem, nothing imported" in str(refused.value)
    assert set(counts().values()) == {0}


def test_command_rejects_malformed_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"users": [')
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("import", str(path))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import", str(tmp_path / "missing.json"))
