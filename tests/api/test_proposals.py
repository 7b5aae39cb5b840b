"""`/api/proposal-proposals/` (§3.12): visibility, disclosure to pool members (§3.2), writes."""

import pytest
from waldur_api_client.api.proposal_proposals import (
    proposal_proposals_count,
    proposal_proposals_create,
    proposal_proposals_list,
    proposal_proposals_retrieve,
    proposal_proposals_submit,
)
from waldur_api_client.models import Proposal as ClientProposal
from waldur_api_client.models import ProposalOEnum, ProposalRequest, ProposalStates

from referee.calls.models import Proposal
from referee.conflicts.rules import rule_for
from referee.core.models import AuditEvent
from referee.reviews.models import Review
from tests import factories as f
from tests.helpers import (
    as_role,
    assert_constant_queries,
    assert_listed_rows_read_only_what_they_show,
    client_for,
    role_matrix,
    role_user,
)

URL = "/api/proposal-proposals/"
NIL = "0" * 32


def detail(proposal):
    return f"{URL}{proposal.uuid.hex}/"


def parsed(body):
    proposal = ClientProposal.from_dict(body)
    assert proposal.uuid.hex == body["uuid"]
    return proposal


def set_disclosure(call, level):
    call.coi_config.invitation_proposal_disclosure = level
    call.coi_config.save()


def texts(client, proposal):
    body = client.get(detail(proposal)).json()
    parsed(body)
    return body["project_summary"], body["description"]


@pytest.mark.django_db
class TestVisibility:
    # Status of GET on a submitted proposal of `world.call` (reviewer: restricted view).
    EXPECTED = {"anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 200,
                "manager": 200, "support": 200, "staff": 200, "applicant": 200}

    @role_matrix(EXPECTED)
    def test_detail_and_list_by_role(self, world, role, expected):
        client = as_role(world, role)
        response = client.get(detail(world.proposal))
        assert response.status_code == expected
        if response.status_code == 200:
            parsed(response.json())
        listing = client.get(URL)
        if role == "anonymous":
            assert listing.status_code == 401
            return
        uuids = {parsed(row).uuid.hex for row in listing.json()}
        assert (world.proposal.uuid.hex in uuids) == (expected == 200)

    def test_pool_members_see_only_open_proposals_and_only_when_accepted(self, world):
        draft = f.proposal(world.round, created_by=world.applicant, state="draft")
        accepted = f.proposal(world.round, created_by=world.applicant, state="accepted")
        client = client_for(world.reviewer)
        assert client.get(detail(draft)).status_code == 404
        assert client.get(detail(accepted)).status_code == 404
        world.entry.invitation_status = "pending"
        world.entry.save()
        assert client.get(detail(world.proposal)).status_code == 404
        assert client.get(URL).json() == []

    def test_team_member_and_active_reviewer_read_everything(self, world):
        member = f.user()
        world.proposal.team.add(member)
        assert texts(client_for(member), world.proposal) == (world.proposal.project_summary, world.proposal.description)
        outsider = f.user()
        Review.objects.create(proposal=world.proposal, reviewer=outsider, state="in_review")
        assert texts(client_for(outsider), world.proposal) == (world.proposal.project_summary, world.proposal.description)


@pytest.mark.django_db
class TestDisclosure:
    @pytest.mark.parametrize("level,summary,description", [
        ("titles_only", False, False),
        ("titles_and_summaries", True, False),
        ("full_details", True, True),
    ])
    def test_pool_member_reads_per_disclosure(self, world, level, summary, description):
        set_disclosure(world.call, level)
        body = client_for(world.reviewer).get(detail(world.proposal)).json()
        parsed(body)
        assert body["name"] == world.proposal.name and body["slug"] == world.proposal.slug
        assert body["project_summary"] == (world.proposal.project_summary if summary else "")
        assert body["description"] == (world.proposal.description if description else "")
        # Who wrote it is not part of what a pool member is shown.
        assert body["created_by"] is None and body["created_by_uuid"] == NIL and body["team_uuids"] == []
        assert body["applicant_email"] == "" and body["created_by_name"] == ""

    def test_blocking_coi_leaves_the_name_only(self, world):
        set_disclosure(world.call, "full_details")
        f.conflict(world.profile, world.proposal)
        client = client_for(world.reviewer)
        assert texts(client, world.proposal) == ("", "")
        assert texts(client, world.proposal2) == (world.proposal2.project_summary, world.proposal2.description)
        rows = {row["uuid"]: row for row in client.get(URL).json()}
        assert rows[world.proposal.uuid.hex]["name"] == world.proposal.name
        assert rows[world.proposal.uuid.hex]["description"] == ""
        assert rows[world.proposal2.uuid.hex]["description"] == world.proposal2.description

    @pytest.mark.parametrize("status,severity,blocks", [
        ("pending", "potential", False),  # disclosure-only rule
        ("pending", "apparent", True),
        ("dismissed", "real", False),
        ("waived", "apparent", False),
        ("recused", "potential", True),
    ])
    def test_only_blocking_conflicts_restrict(self, world, status, severity, blocks):
        set_disclosure(world.call, "full_details")
        rule = rule_for(world.call.coi_config, "ROLE_NAMED", severity)
        f.conflict(world.profile, world.proposal, rule=rule, status=status, coi_type="ROLE_NAMED", severity=severity)
        summary, _ = texts(client_for(world.reviewer), world.proposal)
        assert (summary == "") == blocks

    def test_another_reviewers_conflict_does_not_restrict(self, world):
        set_disclosure(world.call, "titles_and_summaries")
        f.conflict(f.profile(f.user()), world.proposal)
        assert texts(client_for(world.reviewer), world.proposal)[0] == world.proposal.project_summary

    def test_managers_and_staff_read_full_text_despite_conflicts(self, world):
        manager_profile = f.profile(world.manager)
        f.conflict(manager_profile, world.proposal)
        for user in (world.manager, world.staff, world.support, world.applicant):
            assert texts(client_for(user), world.proposal) == (world.proposal.project_summary, world.proposal.description)


@pytest.mark.django_db
class TestRepresentation:
    def test_keys_and_values(self, world):
        customer = f.customer("Lab")
        world.call.manager = customer
        world.call.save()
        world.proposal.organization = customer
        world.proposal.save()
        body = client_for(world.manager).get(detail(world.proposal)).json()
        proposal = parsed(body)
        assert body["url"] == f"http://testserver{detail(world.proposal)}"
        assert proposal.round_.uuid == world.round.uuid and proposal.round_.status.value == "open"
        assert body["call_uuid"] == world.call.uuid.hex and body["call_name"] == world.call.name
        assert body["call_managing_organisation_uuid"] == customer.uuid.hex
        assert body["created_by"] == f"http://testserver/api/users/{world.applicant.uuid.hex}/"
        assert body["created_by_uuid"] == world.applicant.uuid.hex
        assert body["created_by_name"] == world.applicant.full_name
        assert body["team_uuids"] == [world.applicant.uuid.hex]
        assert body["organization_uuid"] == customer.uuid.hex
        assert body["can_submit"] == {"can_submit": False, "error": None}
        assert body["science_domain_uuid"] == NIL and body["supporting_documentation"] == []

    def test_missing_creator_and_organisation(self, world):
        orphan = f.proposal(world.round, created_by=None)
        body = client_for(world.manager).get(detail(orphan)).json()
        parsed(body)
        assert body["created_by"] is None and body["created_by_uuid"] == NIL and body["created_by_name"] == ""
        assert body["call_managing_organisation_uuid"] == NIL and body["organization_uuid"] is None


@pytest.mark.django_db
class TestCreate:
    def test_any_user_creates_a_draft_by_round_uuid(self, world):
        body = {"name": "My idea", "round_uuid": str(world.round.uuid), "project_summary": "S", "description": "D"}
        response = client_for(world.stranger).post(URL, body, format="json")
        assert response.status_code == 201, response.content
        proposal = parsed(response.json())
        assert proposal.state.value == "draft" and response.json()["can_submit"]["can_submit"] is True
        stored = Proposal.objects.get(uuid=proposal.uuid)
        assert stored.created_by == world.stranger and list(stored.team.all()) == [world.stranger]
        assert stored.call == world.call and stored.slug.startswith("my-idea-")
        assert AuditEvent.objects.filter(event_type="PROPOSAL_CREATED", object_uuid=stored.uuid).exists()
        # The creator now sees the call too (§3.12 call visibility).
        assert client_for(world.stranger).get(f"/api/proposal-protected-calls/{world.call.uuid.hex}/").status_code == 200

    def test_round_by_link_with_team_and_organisation(self, world):
        customer = f.customer()
        body = {
            "name": "Linked", "round": f"http://testserver/api/proposal-protected-calls/{world.call.uuid.hex}/rounds/{world.round.uuid.hex}/",
            "team_uuids": [world.reviewer.uuid.hex], "organization_uuid": customer.uuid.hex,
        }
        response = client_for(world.stranger).post(URL, body, format="json")
        assert response.status_code == 201
        assert set(response.json()["team_uuids"]) == {world.reviewer.uuid.hex, world.stranger.uuid.hex}
        assert response.json()["organization_uuid"] == customer.uuid.hex

    @role_matrix({"anonymous": 401, "support": 403})
    def test_refused_roles(self, world, role, expected):
        body = {"name": "X", "round_uuid": world.round.uuid.hex}
        assert client_for(role_user(world, role)).post(URL, body, format="json").status_code == expected

    def test_round_of_inactive_call_is_refused(self, world):
        draft_call = f.call(state="draft")
        body = {"name": "X", "round": f.round_(draft_call).uuid.hex}
        response = client_for(world.stranger).post(URL, body, format="json")
        assert response.status_code == 400 and "round" in response.json()

    @pytest.mark.parametrize("body,field", [
        ({"round_uuid": "R"}, "name"),
        ({"name": "X"}, "round_uuid"),
        ({"name": "X", "round_uuid": "0" * 32}, "round_uuid"),
        ({"name": "X", "round_uuid": "not-a-uuid"}, "round_uuid"),
        ({"name": "X", "round_uuid": "R", "team_uuids": ["0" * 32]}, "team_uuids"),
        ({"name": "X", "round_uuid": "R", "organization_uuid": "0" * 32}, "organization_uuid"),
        ({"name": "n" * 300, "round_uuid": "R"}, "name"),
        ({"name": "X", "round_uuid": "R", "description": ["a"]}, "description"),
    ])
    def test_validation_names_the_field(self, world, body, field):
        body = {key: world.round.uuid.hex if value == "R" else value for key, value in body.items()}
        response = client_for(world.stranger).post(URL, body, format="json")
        assert response.status_code == 400
        assert field in response.json()


@pytest.mark.django_db
class TestUpdate:
    @pytest.fixture
    def draft(self, world):
        return f.proposal(world.round, created_by=world.applicant, state="draft")

    @role_matrix({
        "anonymous": 401, "stranger": 404, "other_manager": 404, "support": 403, "manager": 200, "staff": 200,
        "applicant": 200,
    })
    def test_patch_draft_by_role(self, world, draft, role, expected):
        response = client_for(role_user(world, role)).patch(detail(draft), {"name": "New"}, format="json")
        assert response.status_code == expected
        if expected == 200:
            assert parsed(response.json()).name == "New"

    def test_pool_member_and_team_member_get_403(self, world, draft):
        member = f.user()
        world.proposal.team.add(member)
        assert client_for(world.reviewer).patch(detail(world.proposal), {"name": "X"}, format="json").status_code == 403
        assert client_for(member).patch(detail(world.proposal), {"name": "X"}, format="json").status_code == 403

    def test_creator_edits_only_drafts_and_never_the_state(self, world, draft):
        client = client_for(world.applicant)
        response = client.patch(detail(world.proposal), {"name": "X"}, format="json")
        assert response.status_code == 400 and response.json() == {"detail": "Only draft proposals can be changed."}
        response = client.patch(detail(draft), {"state": "accepted"}, format="json")
        assert response.status_code == 400 and "state" in response.json()

    def test_manager_sets_any_state_audited(self, world):
        response = client_for(world.manager).patch(detail(world.proposal), {"state": "in_review"}, format="json")
        assert response.status_code == 200 and response.json()["state"] == "in_review"
        event = AuditEvent.objects.get(event_type="PROPOSAL_STATE_CHANGED", object_uuid=world.proposal.uuid)
        assert (event.from_state, event.to_state, event.call_id) == ("submitted", "in_review", world.call.id)
        response = client_for(world.manager).patch(detail(world.proposal), {"state": "bogus"}, format="json")
        assert response.status_code == 400 and "state" in response.json()

    def test_team_is_managed_with_the_creator_kept(self, world, draft):
        response = client_for(world.applicant).patch(detail(draft), {"team_uuids": [world.stranger.uuid.hex]}, format="json")
        assert set(response.json()["team_uuids"]) == {world.applicant.uuid.hex, world.stranger.uuid.hex}
        response = client_for(world.manager).patch(detail(draft), {"team_uuids": []}, format="json")
        assert response.json()["team_uuids"] == [world.applicant.uuid.hex]
        response = client_for(world.manager).patch(detail(draft), {"team_uuids": ["zz"]}, format="json")
        assert response.status_code == 400 and "team_uuids" in response.json()

    def test_put_requires_name_and_delete_is_405(self, world, draft):
        client = client_for(world.applicant)
        assert "name" in client.put(detail(draft), {"description": "x"}, format="json").json()
        assert client.put(detail(draft), {"name": "Put"}, format="json").status_code == 200
        assert client.delete(detail(draft)).status_code == 405


@pytest.mark.django_db
class TestSubmit:
    @role_matrix({
        "anonymous": 401, "stranger": 404, "other_manager": 404, "support": 403, "manager": 403, "staff": 403,
        "applicant": 200,
    })
    def test_by_role(self, world, role, expected):
        draft = f.proposal(world.round, created_by=world.applicant, state="draft")
        response = client_for(role_user(world, role)).post(f"{detail(draft)}submit/")
        assert response.status_code == expected
        if expected == 200:
            assert parsed(response.json()).state.value == "submitted"
            assert AuditEvent.objects.filter(event_type="PROPOSAL_SUBMITTED", object_uuid=draft.uuid).exists()

    def test_only_drafts_are_submitted(self, world):
        response = client_for(world.applicant).post(f"{detail(world.proposal)}submit/")
        assert response.status_code == 400 and response.json() == {"detail": "Only draft proposals can be submitted."}

    def test_get_is_405(self, world):
        assert client_for(world.applicant).get(f"{detail(world.proposal)}submit/").status_code == 405


@pytest.mark.django_db
class TestListing:
    def test_filters(self, world):
        other_round = f.round_(world.call)
        moved = f.proposal(other_round, created_by=world.applicant, state="draft")
        f.proposal(f.round_(world.other_call), created_by=world.applicant)
        client = client_for(world.applicant)
        assert len(client.get(URL).json()) == 4
        assert len(client.get(URL, {"call_uuid": str(world.call.uuid)}).json()) == 3
        assert [r["uuid"] for r in client.get(URL, {"round_uuid": other_round.uuid.hex}).json()] == [moved.uuid.hex]
        assert len(client.get(URL + "?state=draft&state=submitted").json()) == 4
        assert len(client.get(URL, {"state": "draft"}).json()) == 1
        for param in ("call_uuid", "round_uuid", "state"):
            response = client.get(URL, {param: "bad"})
            assert response.status_code == 400 and param in response.json()

    @pytest.mark.parametrize("key", ["created", "slug", "state", "round__call__name", "round__start_time", "round__cutoff_time"])
    def test_client_ordering_keys(self, world, key):
        client = client_for(world.staff)
        assert client.get(URL, {"o": key}).status_code == 200
        assert client.get(URL, {"o": f"-{key}"}).status_code == 200

    def test_ordering_by_slug(self, world):
        rows = client_for(world.manager).get(URL, {"o": "-slug"}).json()
        assert [r["slug"] for r in rows] == sorted([world.proposal.slug, world.proposal2.slug], reverse=True)

    @pytest.mark.parametrize("role", ["reviewer", "manager", "applicant", "staff"])
    def test_query_count_is_constant(self, world, role):
        def add_rows():
            for n in range(6):
                proposal = f.proposal(world.round, created_by=f.user(), team=[f.user()])
                if n % 2:
                    f.conflict(world.profile, proposal)

        set_disclosure(world.call, "titles_and_summaries")
        assert_constant_queries(client_for(getattr(world, role)), URL, add_rows)

    @pytest.mark.parametrize("role", ["reviewer", "manager", "applicant", "staff"])
    def test_a_listed_row_reads_only_what_it_shows_and_equals_the_detail(self, world, role):
        """The list selects only the columns its rows show (`LIST_COLUMNS`: no user's password or
        flags, no call's settings); the detail reads whole rows, and each listed row equals it."""
        f.proposal(world.round, created_by=f.user(first_name="Ada", last_name=""), organization=f.customer(),
                   team=[f.user()])
        set_disclosure(world.call, "titles_and_summaries")
        assert_listed_rows_read_only_what_they_show(
            client_for(getattr(world, role)), URL, "calls_proposal", ["password", "is_superuser", "last_login", "modified"])


@pytest.mark.django_db
def test_client_filters(world):
    customer = f.customer()
    mine = f.proposal(world.round, created_by=world.manager, organization=customer)
    client = client_for(world.manager)
    assert [r["uuid"] for r in client.get(URL, {"my_proposals": "true"}).json()] == [mine.uuid.hex]
    assert len(client.get(URL, {"my_proposals": "false"}).json()) == 2
    assert [r["uuid"] for r in client.get(URL, {"organization_uuid": customer.uuid.hex}).json()] == [mine.uuid.hex]
    assert len(client.get(URL, {"created_by_uuid": world.applicant.uuid.hex}).json()) == 2
    assert len(client.get(URL, {"round": str(world.round.uuid)}).json()) == 3
    assert [r["uuid"] for r in client.get(URL, {"slug": mine.slug}).json()] == [mine.uuid.hex]
    assert client.get(URL, {"my_proposals": "perhaps"}).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_published_client_drives_proposals(world, waldur):
    stranger, reviewer = waldur(world.stranger), waldur(world.reviewer)
    created = proposal_proposals_create.sync(client=stranger, body=ProposalRequest(
        name="Client proposal", round_uuid=world.round.uuid, project_summary="Short", description="Long"))
    assert isinstance(created, ClientProposal) and created.state == ProposalStates.DRAFT
    assert created.can_submit.can_submit is True and created.round_.uuid == world.round.uuid
    response = proposal_proposals_submit.sync_detailed(created.uuid, client=stranger)
    assert response.status_code == 200
    fetched = proposal_proposals_retrieve.sync(created.uuid, client=stranger)
    assert fetched.state == ProposalStates.SUBMITTED and fetched.description == "Long"
    rows = proposal_proposals_list.sync(client=reviewer, call_uuid=world.call.uuid, state=[ProposalStates.SUBMITTED],
                                        o=[ProposalOEnum.ROUND_CALL_NAME])
    assert created.uuid in {row.uuid for row in rows}
    assert all(row.description == "" for row in rows)  # titles_only disclosure for pool members
    assert proposal_proposals_count.sync(client=stranger) == 1
