"""`/api/conflicts-of-interest/` reads and notes (§3.7) and the call actions `conflicts/`,
`conflict-summary/` (§3.5): representation, roles, filters, ordering, query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone
from waldur_api_client.models import ConflictOfInterest as ClientCOI
from waldur_api_client.models import ConflictSummaryResponse

from referee.calls.models import COI_TYPE_CODES
from referee.core.models import AuditEvent
from tests import factories as f
from tests.helpers import ROLES, as_role, assert_constant_queries, assert_visible, client_for, role_matrix, role_user

LIST = "/api/conflicts-of-interest/"
NIL = "0" * 32
# A visible conflict of the world's call: who gets what on a manager-only request (§1 order of checks).
WRITE_STATUS = {"anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 403, "support": 403,
                "manager": 200, "staff": 200}


def url(conflict, action=None):
    return f"{LIST}{conflict.uuid.hex}/" + (f"{action}/" if action else "")


def calls_url(call, action):
    return f"/api/proposal-protected-calls/{call.uuid.hex}/{action}/"


@pytest.fixture
def conflicts(world):
    """Own (the world's reviewer), another reviewer's in the same call, and one in another call."""
    other = f.profile(f.user("colleague", first_name="Grace", last_name="Hopper"), alternative_names=["G. Murray"])
    f.pool_entry(world.call, other)
    foreign_round = f.round_(world.other_call)
    return {
        "own": f.conflict(world.profile, world.proposal),
        "colleague": f.conflict(other, world.proposal2, rule="management_allowed"),
        "foreign": f.conflict(f.profile(f.user()), f.proposal(foreign_round), rule="disclosure_only"),
    }


@pytest.mark.django_db
class TestRepresentation:
    def test_detail_parses_with_the_client_and_follows_the_rules(self, world):
        org = f.customer("Acme Labs")
        conflict = f.conflict(world.profile, world.proposal, conflicting_user=world.applicant,
                              conflicting_organization=org, evidence_description="Named in the team",
                              evidence_data={"matched": "applicant"}, detection_method="self_disclosed")
        body = client_for(world.manager).get(url(conflict)).json()
        parsed = ClientCOI.from_dict(body)
        assert parsed.uuid.hex == conflict.uuid.hex and body["uuid"] == conflict.uuid.hex
        host = "http://testserver/api"
        assert body["url"] == f"{host}/conflicts-of-interest/{conflict.uuid.hex}/"
        assert body["reviewer"] == f"{host}/reviewer-profiles/{world.profile.uuid.hex}/"
        assert (body["reviewer_uuid"], body["reviewer_name"]) == (world.profile.uuid.hex, world.reviewer.full_name)
        assert body["proposal"] == f"{host}/proposal-proposals/{world.proposal.uuid.hex}/"
        assert (body["proposal_uuid"], body["proposal_name"]) == (world.proposal.uuid.hex, world.proposal.name)
        assert (body["round_uuid"], body["round_name"]) == (world.round.uuid.hex, world.round.name)
        assert body["call"] == f"{host}/proposal-protected-calls/{world.call.uuid.hex}/"
        assert (body["call_uuid"], body["call_name"]) == (world.call.uuid.hex, world.call.name)
        assert (body["coi_type"], body["coi_type_display"]) == ("ROLE_NAMED", "Named in the proposal")
        assert (body["severity"], body["severity_display"]) == ("real", "Real")
        assert (body["status"], body["status_display"]) == ("pending", "Pending review")
        assert body["detection_method"] == "self_disclosed"
        assert body["evidence_description"] == "Named in the team" and body["evidence_data"] == {"matched": "applicant"}
        assert (body["reviewed_by"], body["reviewed_by_name"], body["reviewed_at"]) == (None, "", None)
        assert body["conflicting_user"] == f"{host}/users/{world.applicant.uuid.hex}/"
        assert body["conflicting_user_name"] == world.applicant.full_name
        assert body["conflicting_organization"] == f"{host}/customers/{org.uuid.hex}/"
        assert body["conflicting_organization_name"] == "Acme Labs"
        assert (body["review_notes"], body["management_plan"]) == ("", "")
        assert (body["rule"], body["is_blocking"]) == ("recusal_required", True)
        assert body["detected_at"].endswith("Z") and body["created"].endswith("Z")

    def test_missing_targets_and_reviewed_conflicts(self, world):
        conflict = f.conflict(world.profile, world.proposal, rule="disclosure_only", status="dismissed",
                              coi_type="ROLE_NAMED", severity="real", reviewed_by=world.manager,
                              reviewed_at=timezone.now())
        body = client_for(world.manager).get(url(conflict)).json()
        ClientCOI.from_dict(body)
        assert (body["conflicting_user"], body["conflicting_user_name"]) == (None, "")
        assert (body["conflicting_organization"], body["conflicting_organization_name"]) == (None, "")
        assert body["reviewed_by"] == f"http://testserver/api/users/{world.manager.uuid.hex}/"
        assert body["reviewed_by_name"] == world.manager.full_name and body["reviewed_at"].endswith("Z")
        assert (body["status_display"], body["is_blocking"]) == ("Dismissed", False)

    @pytest.mark.parametrize("status,rule,blocking", [
        ("pending", "recusal_required", True), ("pending", "management_allowed", True),
        ("pending", "disclosure_only", False), ("waived", "management_allowed", False),
        ("dismissed", "recusal_required", False), ("recused", "disclosure_only", True),
    ])
    def test_is_blocking_follows_the_rules(self, world, status, rule, blocking):
        conflict = f.conflict(world.profile, world.proposal, rule=rule, status=status, coi_type="ROLE_NAMED",
                              severity="real")
        assert client_for(world.staff).get(url(conflict)).json()["is_blocking"] is blocking

    def test_list_rows_parse_with_the_client(self, world, conflicts):
        rows = client_for(world.staff).get(LIST).json()
        assert len(rows) == 3 and {ClientCOI.from_dict(row).uuid.hex for row in rows} == {
            c.uuid.hex for c in conflicts.values()}

    def test_query_count_is_constant(self, world, conflicts):
        def add_conflicts():
            for _ in range(5):
                profile = f.profile(f.user())
                f.conflict(profile, f.proposal(world.round), status="dismissed", conflicting_user=f.user(),
                           conflicting_organization=f.customer(), reviewed_by=f.user())

        assert_constant_queries(client_for(world.staff), LIST, add_conflicts)
        assert_constant_queries(client_for(world.manager), calls_url(world.call, "conflicts"), add_conflicts)


@pytest.mark.django_db
class TestVisibility:
    @role_matrix({"anonymous": set(), "stranger": set(), "reviewer": {"own"}, "other_manager": {"foreign"},
                  "manager": {"own", "colleague"}, "support": {"own", "colleague", "foreign"},
                  "staff": {"own", "colleague", "foreign"}})
    def test_list_and_detail(self, world, conflicts, role, expected):
        assert_visible(as_role(world, role), role, LIST, conflicts, expected, url)

    def test_non_uuid_and_unknown_are_404(self, world):
        client = client_for(world.staff)
        assert client.get(f"{LIST}nope/").status_code == 404
        assert client.get(f"{LIST}{'1' * 32}/").status_code == 404

    @pytest.mark.parametrize("role", ROLES)
    def test_collection_post_and_delete_are_405(self, world, conflicts, role):
        client = client_for(role_user(world, role))
        expected = 401 if role == "anonymous" else 405
        assert client.post(LIST, {}, format="json").status_code == expected
        assert client.delete(url(conflicts["own"])).status_code == expected


@pytest.mark.django_db
class TestNotes:
    @role_matrix(WRITE_STATUS)
    @pytest.mark.parametrize("method", ["put", "patch"])
    def test_roles(self, world, conflicts, role, expected, method):
        conflict = conflicts["own"]
        response = getattr(as_role(world, role), method)(
            url(conflict), {"review_notes": "Checked", "management_plan": "Plan"}, format="json")
        assert response.status_code == expected, response.content
        conflict.refresh_from_db()
        changed = (conflict.review_notes, conflict.management_plan) == ("Checked", "Plan")
        assert changed is (expected == 200)
        if changed:
            ClientCOI.from_dict(response.json())
            assert response.json()["review_notes"] == "Checked"

    def test_only_notes_and_plan_change(self, world, conflicts):
        conflict = conflicts["own"]
        response = client_for(world.manager).patch(
            url(conflict), {"management_plan": "Watch", "status": "dismissed", "severity": "potential",
                            "rule": "disclosure_only"}, format="json")
        assert response.status_code == 200
        conflict.refresh_from_db()
        assert (conflict.status, conflict.severity, conflict.rule, conflict.management_plan, conflict.review_notes) == (
            "pending", "real", "recusal_required", "Watch", "")
        assert (conflict.reviewed_by, conflict.reviewed_at) == (None, None)
        event = AuditEvent.objects.get(event_type="COI_NOTES_UPDATED")
        assert (event.from_state, event.to_state, event.actor, event.call) == ("pending", "pending", world.manager,
                                                                              world.call)

    def test_empty_put_changes_nothing(self, world, conflicts):
        assert client_for(world.manager).put(url(conflicts["own"]), {}, format="json").status_code == 200
        assert not AuditEvent.objects.filter(event_type="COI_NOTES_UPDATED").exists()

    @pytest.mark.parametrize("field,limit", [("review_notes", 5000), ("management_plan", 10000)])
    def test_bounds_name_the_field(self, world, conflicts, field, limit):
        client = client_for(world.manager)
        response = client.patch(url(conflicts["own"]), {field: "x" * (limit + 1)}, format="json")
        assert response.status_code == 400 and field in response.json()
        assert client.patch(url(conflicts["own"]), {field: "x" * limit}, format="json").status_code == 200

    def test_wrong_type_is_400(self, world, conflicts):
        response = client_for(world.manager).patch(url(conflicts["own"]), {"review_notes": ["x"]}, format="json")
        assert response.status_code == 400 and "review_notes" in response.json()


@pytest.mark.django_db
class TestFiltersAndOrdering:
    def uuids(self, client, path=LIST, **params):
        response = client.get(path, params)
        assert response.status_code == 200, response.content
        return [row["uuid"] for row in response.json()]

    def test_filters(self, world, conflicts):
        client = client_for(world.staff)
        own, colleague, foreign = (conflicts[n].uuid.hex for n in ("own", "colleague", "foreign"))
        assert set(self.uuids(client, call_uuid=world.call.uuid.hex)) == {own, colleague}
        assert self.uuids(client, proposal_uuid=str(world.proposal.uuid)) == [own]
        assert set(self.uuids(client, round_uuid=world.round.uuid.hex)) == {own, colleague}
        assert self.uuids(client, reviewer_uuid=world.profile.uuid.hex) == [own]
        assert set(self.uuids(client, coi_type=["ROLE_NAMED", "COAUTH_OLD"])) == {own, foreign}
        assert self.uuids(client, severity="apparent") == [colleague]
        assert set(self.uuids(client, status=["pending"])) == {own, colleague, foreign}
        assert self.uuids(client, detection_method="self_disclosed") == []
        assert set(self.uuids(client, detection_method="automated")) == {own, colleague, foreign}

    def test_reviewer_name_matches_full_and_alternative_names(self, world, conflicts):
        client = client_for(world.staff)
        colleague = conflicts["colleague"].uuid.hex
        assert self.uuids(client, reviewer_name="grace hop") == [colleague]
        assert self.uuids(client, reviewer_name="murray") == [colleague]
        assert self.uuids(client, reviewer_name="g. m") == [colleague]
        assert self.uuids(client, reviewer_name='", "') == []  # never the JSON punctuation
        assert self.uuids(client, reviewer_name="%") == []  # LIKE wildcards are literal
        world.profile.alternative_names = ["Ülle Õun", "Ada"]
        world.profile.save()
        assert self.uuids(client, reviewer_name="Õun") == [conflicts["own"].uuid.hex]
        assert self.uuids(client, reviewer_name="Reviewer Tester") == [conflicts["own"].uuid.hex]

    @pytest.mark.parametrize("param,value", [
        ("call_uuid", "nope"), ("proposal_uuid", "1"), ("round_uuid", "x"), ("reviewer_uuid", "y"),
        ("coi_type", "BRIBE"), ("severity", "huge"), ("status", "open"), ("detection_method", "psychic"),
        ("o", "name"),
    ])
    def test_bad_values_are_400_naming_the_parameter(self, world, param, value):
        response = client_for(world.staff).get(LIST, {param: value})
        assert response.status_code == 400 and param in response.json()

    def test_ordering(self, world):
        now = timezone.now()
        a = f.conflict(world.profile, world.proposal, status="waived", detected_at=now - timedelta(days=3))
        b = f.conflict(world.profile, world.proposal2, status="recused", severity="apparent",
                       detected_at=now - timedelta(days=1))
        c = f.conflict(world.profile, world.proposal, status="dismissed", coi_type="INST_SAME", severity="potential",
                       detected_at=now - timedelta(days=2))
        client = client_for(world.manager)
        a, b, c = a.uuid.hex, b.uuid.hex, c.uuid.hex
        assert self.uuids(client) == [b, c, a]  # -detected_at
        assert self.uuids(client, o="detected_at") == [a, c, b]
        assert self.uuids(client, o="severity") == [b, c, a]
        assert self.uuids(client, o="-status") == [a, b, c]
        assert self.uuids(client, o="created") == [a, b, c]
        path = calls_url(world.call, "conflicts")
        assert self.uuids(client, path) == [b, c, a]
        assert self.uuids(client, path, o="-severity") == [a, c, b]


@pytest.mark.django_db
class TestCallConflicts:
    READ_STATUS = {"anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 403, "support": 200,
                   "manager": 200, "staff": 200}

    @role_matrix(READ_STATUS)
    def test_roles(self, world, conflicts, role, expected):
        client = as_role(world, role)
        for action in ("conflicts", "conflict-summary"):
            assert client.get(calls_url(world.call, action)).status_code == expected, (role, action)
            post_status = 401 if role == "anonymous" else 405
            assert client.post(calls_url(world.call, action), {}, format="json").status_code == post_status

    def test_lists_the_calls_conflicts_paginated(self, world, conflicts):
        response = client_for(world.manager).get(calls_url(world.call, "conflicts"), {"page_size": 1})
        assert response.status_code == 200 and response["X-Result-Count"] == "2" and len(response.json()) == 1
        assert 'rel="next"' in response["Link"]
        rows = client_for(world.manager).get(calls_url(world.call, "conflicts")).json()
        assert {ClientCOI.from_dict(row).uuid.hex for row in rows} == {
            conflicts["own"].uuid.hex, conflicts["colleague"].uuid.hex}
        head = client_for(world.support).head(calls_url(world.call, "conflicts"))
        assert head.status_code == 200 and head["X-Result-Count"] == "2" and head.content == b""

    def test_filters(self, world, conflicts):
        client = client_for(world.manager)
        path = calls_url(world.call, "conflicts")
        colleague = conflicts["colleague"].uuid.hex
        assert [r["uuid"] for r in client.get(path, {"severity": "apparent"}).json()] == [colleague]
        assert [r["uuid"] for r in client.get(path, {"coi_type": ["INST_FORMER", "COAUTH_OLD"]}).json()] == [colleague]
        assert client.get(path, {"status": "waived"}).json() == []
        for param in ("status", "severity", "coi_type", "o"):
            response = client.get(path, {param: "bogus"})
            assert response.status_code == 400 and param in response.json()

    def test_summary_has_every_key(self, world, conflicts):
        f.conflict(world.profile, world.proposal2, status="waived", coi_type="COAUTH_RECENT", severity="apparent")
        body = client_for(world.support).get(calls_url(world.call, "conflict-summary")).json()
        ConflictSummaryResponse.from_dict(body)
        assert body["total"] == 3
        assert body["by_status"] == {"pending": 2, "dismissed": 0, "waived": 1, "recused": 0}
        assert body["by_severity"] == {"real": 1, "apparent": 2, "potential": 0}
        assert set(body["by_type"]) == set(COI_TYPE_CODES)
        assert {k: v for k, v in body["by_type"].items() if v} == {"ROLE_NAMED": 1, "INST_FORMER": 1,
                                                                     "COAUTH_RECENT": 1}

    def test_summary_of_a_call_without_conflicts_is_all_zeros(self, world):
        body = client_for(world.manager).get(calls_url(world.other_call, "conflict-summary"))
        assert body.status_code == 404  # not this manager's call
        body = client_for(world.staff).get(calls_url(world.other_call, "conflict-summary")).json()
        assert body["total"] == 0 and set(body["by_status"].values()) == {0} and len(body["by_type"]) == 18
