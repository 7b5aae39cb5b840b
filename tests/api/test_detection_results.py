"""Detection through the API (issue 10): co-authors name the right people, a reviewer's own
publication is a conflict, and the job's `result` says what each detector checked and why it may
have found nothing."""

import jsonschema
import pytest
from django.utils import timezone
from waldur_api_client.models import COIDetectionJob as ClientJob

from referee.reviewers.models import ReviewerPublication
from tests import factories as f
from tests.helpers import client_for

YEAR = timezone.now().year
ORCID_A, ORCID_B = "0000-0001-0000-000A", "0000-0001-0000-000B"


def member(first, last, orcid=None):
    user = f.user(first_name=first, last_name=last)
    if orcid:
        f.profile(user, orcid_id=orcid)
    return user


def publish(profile, title, year, *coauthors, doi=None):
    people = [c if isinstance(c, dict) else {"name": c} for c in coauthors]
    return ReviewerPublication.objects.create(profile=profile, title=title, publication_year=year, coauthors=people,
                                              doi=doi)


@pytest.fixture
def run(world, django_capture_on_commit_callbacks):
    """POST detect-conflicts/ (the job runs once the request commits), then read the job and the conflicts."""
    def run_detection(**body):
        client = client_for(world.manager)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/api/proposal-protected-calls/{world.call.uuid.hex}/detect-conflicts/", body,
                                   format="json")
        assert response.status_code == 200, response.content
        job = client.get(f"/api/coi-detection-jobs/{response.json()['uuid']}/").json()
        ClientJob.from_dict(job)  # the Waldur client still reads it
        assert job["state"] == "completed", job
        conflicts = client.get(f"/api/proposal-protected-calls/{world.call.uuid.hex}/conflicts/",
                               {"page_size": 100}).json()
        return job, conflicts
    return run_detection


def team_proposal(world, name, *team):
    return f.proposal(world.round, created_by=world.applicant, team=team, name=name)


def by_proposal(conflicts, coi_type):
    return {c["proposal_name"]: c for c in conflicts if c["coi_type"] == coi_type}


def test_coauthors_name_the_right_people(world, run):
    team_proposal(world, "Yinfei", member("Yinfei", "Yang"))
    team_proposal(world, "Yuyan", member("Yuyan", "Zhang"))
    team_proposal(world, "Xinjian", member("Xinjian", "Li"))
    team_proposal(world, "Picard", member("Jean-Luc", "Picard"))
    team_proposal(world, "Orcid", member("Somebody", "Else", orcid=ORCID_A))
    team_proposal(world, "Other orcid", member("Jane", "Doe", orcid=ORCID_B))
    publish(world.profile, "Recent paper", YEAR, "Yiming Yang", "Yu Zhang", "Xuechen Li", "J.-L. Picard",
            {"name": "S. Omeone", "orcid": f"https://orcid.org/{ORCID_A}"}, {"name": "Jane Doe", "orcid": "0000-0001-0000-000C"})
    publish(world.profile, "Old paper", YEAR - 5, "Y. Yang")

    job, conflicts = run()
    coauthored = by_proposal(conflicts, "COAUTH_RECENT")
    assert set(coauthored) == {"Picard", "Orcid"}  # not Yinfei, Yuyan, Xinjian, nor Jane Doe of another ORCID
    picard = coauthored["Picard"]["evidence_data"]
    assert picard["matched_by"] == "initial"
    assert picard["name_matches"] == [{"coauthor": "J.-L. Picard", "team_member_name": "Jean-Luc Picard",
                                       "rule": "initial"}]
    assert "only up to an initial" in coauthored["Picard"]["evidence_description"]
    assert coauthored["Orcid"]["evidence_data"]["matched_by"] == "orcid"
    assert "The ORCIDs are the same." in coauthored["Orcid"]["evidence_description"]

    schema = client_for(world.manager).get("/api/schema/", {"format": "json"}).json()
    jsonschema.validate(job, {"$ref": "#/components/schemas/COIDetectionJob", "components": schema["components"]})
    coauthorship = job["result"]["detectors"]["coauthorship"]
    assert (coauthorship["found"], coauthorship["new_conflicts"]) == (2, 2)
    assert coauthorship["counts"]["first_names_differ"] == 3
    assert coauthorship["counts"]["orcids_differ"] == 1
    assert coauthorship["counts"]["before_lookback"] == 1  # "Y. Yang" ~ "Yinfei Yang", 5 years ago
    notes = " ".join(coauthorship["notes"])
    assert '3 co-authors share a team member\'s surname and initial but not the first name' in notes
    assert '"Xuechen Li" and team member "Xinjian Li"' in notes
    assert f"1 co-authorship is older than the 3-year look-back (before {YEAR - 3})" in notes


def test_own_publication_is_a_named_personnel_conflict(world, run):
    own = team_proposal(world, "Counting Cells with Deep Learning")
    team_proposal(world, "Counting cells")  # a different title
    publish(world.profile, "Counting cells with deep learning.", YEAR - 10, doi="10.1/cells")

    job, conflicts = run()
    named = by_proposal(conflicts, "ROLE_NAMED")
    assert list(named) == [own.name]
    conflict = named[own.name]
    assert (conflict["severity"], conflict["rule"], conflict["is_blocking"]) == ("real", "recusal_required", True)
    assert conflict["conflicting_user_name"] == world.reviewer.full_name
    assert conflict["evidence_data"]["matched_on"] == ["publication"]
    assert conflict["evidence_data"]["publications"] == [
        {"doi": "10.1/cells", "title": "Counting cells with deep learning.", "year": YEAR - 10, "matched_on": "title"}]
    assert conflict["evidence_description"] == (
        "The proposal is the reviewer's own publication \"Counting cells with deep learning.\" "
        f"({YEAR - 10}, same title).")
    assert job["result"]["detectors"]["named_personnel"]["found"] == 1


def test_a_proposal_with_the_doi_of_a_reviewers_paper_is_their_own_work(world, run):
    """The DOI comes with the proposal from an import (`doi`); the titles differ here."""
    from referee.imports import import_data

    published = team_proposal(world, "An ocean model, eddy-resolving")
    world.round.slug = "spring"  # what the file refers to the round by
    world.round.save()
    team_proposal(world, "Another proposal")
    data = {"version": 1, "call": {"slug": world.call.slug, "name": world.call.name},
            "proposals": [{"slug": published.slug, "round": world.round.slug, "name": published.name,
                           "doi": "10.5555/Ocean.2019"}]}
    import_data(data)
    publish(world.profile, "Eddies at 1/20 degree", YEAR - 7, doi="10.5555/ocean.2019")

    job, conflicts = run()
    named = by_proposal(conflicts, "ROLE_NAMED")
    assert list(named) == [published.name]
    assert named[published.name]["evidence_data"]["publications"] == [
        {"doi": "10.5555/ocean.2019", "title": "Eddies at 1/20 degree", "year": YEAR - 7, "matched_on": "DOI"}]
    assert named[published.name]["is_blocking"]


def test_a_run_that_finds_nothing_says_why(world, run):
    world.call.coi_config.auto_detect_institutional = False
    world.call.coi_config.save()
    old_friend = member("Ada", "Lovelace")
    team_proposal(world, "Engines", old_friend)
    for year in (YEAR - 4, YEAR - 6):
        publish(world.profile, f"Paper of {year}", year, "Ada Lovelace")
    publish(world.profile, "Alone", YEAR)

    job, conflicts = run()
    assert conflicts == [] and job["conflicts_found"] == 0
    detectors = job["result"]["detectors"]
    assert job["result"]["notes"] == []
    assert {name: d["pairs_checked"] for name, d in detectors.items()} == {
        "named_personnel": 3, "institutional": 0, "coauthorship": 3}  # 1 reviewer × 3 open proposals
    assert detectors["institutional"]["enabled"] is False
    assert detectors["institutional"]["notes"] == [
        "Not run: switched off in the call's conflict-of-interest configuration (auto_detect_institutional)."]
    coauthorship = detectors["coauthorship"]
    assert coauthorship["counts"]["before_lookback"] == 2
    assert coauthorship["counts"]["publications_without_coauthors"] == 1
    assert coauthorship["notes"] == [
        "1 of 3 publications lists no co-authors, so it cannot show a co-authorship.",
        f"2 co-authorships are older than the 3-year look-back (before {YEAR - 3}) and were not counted "
        "(coauthorship_lookback_years).",
        "No co-author of a reviewer's publications in the look-back is a member of a proposal's team.",
    ]
    assert detectors["named_personnel"]["notes"] == [
        "No reviewer is the creator or a team member of a proposal (same account, e-mail or full name), and none "
        "of the reviewers' 3 publications has the title or DOI of a proposal."]


def test_a_rerun_says_its_findings_were_already_on_record(world, run):
    world.proposal.team.add(world.reviewer)
    first, _ = run()
    assert first["result"]["detectors"]["named_personnel"]["new_conflicts"] == 1
    again, conflicts = run()
    named = again["result"]["detectors"]["named_personnel"]
    assert (named["found"], named["new_conflicts"], again["conflicts_found"], len(conflicts)) == (1, 0, 0, 1)
    assert named["notes"][0] == ("1 of the 1 conflicts found was already on record and was not recorded again "
                                 "(a conflict is recorded once, whatever its status).")


def test_no_pairs_to_check_is_said_at_job_level(world, run):
    world.entry.invitation_status = "declined"
    world.entry.save()
    job, _ = run()
    assert job["total_pairs"] == 0
    assert job["result"]["notes"] == [
        "No reviewer has accepted the call's pool invitation, so there was no pair to check."]
    assert all(d["pairs_checked"] == 0 for d in job["result"]["detectors"].values())
    unchanged, _ = run(job_type="incremental")
    assert unchanged["result"]["notes"][0].startswith("No reviewer has accepted")


def test_an_incremental_run_with_nothing_changed_says_so(world, run):
    run()
    job, _ = run(job_type="incremental")
    assert job["total_pairs"] == 0
    assert job["result"]["notes"] == [
        "Incremental run: no reviewer or proposal changed since the last completed detection started, so no pair "
        "needed checking again. A full run checks every pair."]


def test_a_pending_job_has_no_result_yet(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = client_for(world.manager).post(
            f"/api/proposal-protected-calls/{world.call.uuid.hex}/detect-conflicts/", {}, format="json")
    assert response.json()["state"] == "pending" and response.json()["result"] is None
