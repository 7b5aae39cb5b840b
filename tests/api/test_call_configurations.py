"""The three call configurations: `/api/call-assignment-configurations/` (§3.4) and the call
actions `matching-configuration/`, `coi-configuration/` (§3.5), with the ranges of §2."""

import pytest
from waldur_api_client.api.call_assignment_configurations import (
    call_assignment_configurations_count,
    call_assignment_configurations_list,
    call_assignment_configurations_partial_update,
    call_assignment_configurations_retrieve,
    call_assignment_configurations_update,
)
from waldur_api_client.api.proposal_protected_calls import (
    proposal_protected_calls_coi_configuration_partial_update,
    proposal_protected_calls_coi_configuration_retrieve,
    proposal_protected_calls_matching_configuration_partial_update,
    proposal_protected_calls_matching_configuration_retrieve,
)
from waldur_api_client.models import (
    CallAssignmentConfiguration,
    CallAssignmentConfigurationRequest,
    CallCOIConfiguration,
    CoiTypeEnum,
    MatchingAlgorithm,
    MatchingConfiguration,
    PatchedCallAssignmentConfigurationRequest,
    PatchedCallCOIConfigurationRequest,
    PatchedMatchingConfigurationRequest,
)

from referee.conflicts.models import ConflictOfInterest
from referee.core.models import AuditEvent
from tests import factories as f
from tests.helpers import as_role, assert_constant_queries, client_for, role_matrix

URL = "/api/call-assignment-configurations/"
OVERLAP = "Each conflict type may only be assigned to one rule. Remove it from all but one of these: {}."


def config_url(call):
    return f"{URL}{call.assignment_config.uuid.hex}/"


def action_url(call, name):
    return f"/api/proposal-protected-calls/{call.uuid.hex}/{name}/"


@pytest.mark.django_db
class TestAssignmentConfigurations:
    READ = {"anonymous": 401, "stranger": 404, "reviewer": 404, "other_manager": 404, "manager": 200, "support": 200, "staff": 200}
    WRITE = {**READ, "support": 403}

    @role_matrix(READ)
    def test_detail_and_list_by_role(self, world, role, expected):
        client = as_role(world, role)
        response = client.get(config_url(world.call))
        assert response.status_code == expected
        if response.status_code == 200:
            body = response.json()
            parsed = CallAssignmentConfiguration.from_dict(body)
            assert parsed.call_uuid == world.call.uuid and parsed.assignment_expiration_days == 7
            assert body["url"] == f"http://testserver{config_url(world.call)}"
            assert body["call"] == f"http://testserver/api/proposal-protected-calls/{world.call.uuid.hex}/"
        listing = client.get(URL)
        if role == "anonymous":
            assert listing.status_code == 401
            return
        calls = {CallAssignmentConfiguration.from_dict(row).call_uuid for row in listing.json()}
        assert (world.call.uuid in calls) == (expected == 200)

    @role_matrix(WRITE)
    def test_patch_by_role(self, world, role, expected):
        body = {"auto_reassign_on_decline": True, "max_auto_reassign_attempts": 5}
        response = as_role(world, role).patch(config_url(world.call), body, format="json")
        assert response.status_code == expected
        if response.status_code == 200:
            parsed = CallAssignmentConfiguration.from_dict(response.json())
            assert parsed.auto_reassign_on_decline is True and parsed.max_auto_reassign_attempts == 5

    def test_put_and_audit(self, world):
        response = client_for(world.manager).put(config_url(world.call), {"assignment_expiration_days": 14}, format="json")
        assert response.status_code == 200 and response.json()["assignment_expiration_days"] == 14
        event = AuditEvent.objects.get(event_type="ASSIGNMENT_CONFIGURATION_UPDATED")
        assert event.call == world.call and event.context == {"changes": {"assignment_expiration_days": 14}}

    def test_post_and_delete_are_405(self, world):
        client = client_for(world.staff)
        assert client.post(URL, {"call": world.call.uuid.hex}, format="json").status_code == 405
        assert client.delete(config_url(world.call)).status_code == 405

    @pytest.mark.parametrize("body,field", [
        ({"max_auto_reassign_attempts": 11}, "max_auto_reassign_attempts"),
        ({"max_auto_reassign_attempts": -1}, "max_auto_reassign_attempts"),
        ({"assignment_expiration_days": 0}, "assignment_expiration_days"),
        ({"assignment_expiration_days": 91}, "assignment_expiration_days"),
        ({"send_reminder_before_expiry_days": 31}, "send_reminder_before_expiry_days"),
        ({"send_reminder_before_expiry_days": 7}, "send_reminder_before_expiry_days"),
        ({"assignment_expiration_days": 3, "send_reminder_before_expiry_days": 3}, "send_reminder_before_expiry_days"),
        ({"auto_reassign_on_decline": "maybe"}, "auto_reassign_on_decline"),
        ({"assignment_expiration_days": "x"}, "assignment_expiration_days"),
    ])
    def test_ranges_name_the_field(self, world, body, field):
        response = client_for(world.manager).patch(config_url(world.call), body, format="json")
        assert response.status_code == 400 and field in response.json(), response.json()

    def test_reminder_rule_uses_the_merged_state(self, world):
        client = client_for(world.manager)
        response = client.patch(config_url(world.call), {"assignment_expiration_days": 2}, format="json")
        assert response.status_code == 400 and "send_reminder_before_expiry_days" in response.json()
        assert client.patch(config_url(world.call), {"send_reminder_before_expiry_days": 0}, format="json").status_code == 200
        assert client.patch(config_url(world.call), {"assignment_expiration_days": 1}, format="json").status_code == 200

    def test_call_uuid_filter_and_query_count(self, world):
        client = client_for(world.staff)
        rows = client.get(URL, {"call_uuid": world.other_call.uuid.hex}).json()
        assert [r["call_uuid"] for r in rows] == [world.other_call.uuid.hex]
        response = client.get(URL, {"call_uuid": "nope"})
        assert response.status_code == 400 and "call_uuid" in response.json()
        assert client.get(URL, {"o": "call_name"}).status_code == 200
        assert_constant_queries(client, URL, lambda: [f.call() for _ in range(5)])
        assert_constant_queries(client_for(world.manager), URL, lambda: [f.call(managers=[world.manager]) for _ in range(5)])


# §3.5: invisible call → 404; visible non-manager → 403; support may read.
READ = {"anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 403, "manager": 200, "support": 200, "staff": 200}
WRITE = {**READ, "support": 403}


@pytest.mark.django_db
class TestMatchingConfiguration:
    @role_matrix(READ)
    def test_get_by_role(self, world, role, expected):
        response = as_role(world, role).get(action_url(world.call, "matching-configuration"))
        assert response.status_code == expected
        if response.status_code == 200:
            body = response.json()
            parsed = MatchingConfiguration.from_dict(body)
            assert parsed.call_uuid == world.call.uuid and parsed.affinity_method.value == "combined"
            assert "url" not in body and body["keyword_weight"] == 0.4 and body["algorithm"] == "minmax"

    @role_matrix(WRITE)
    def test_patch_by_role(self, world, role, expected):
        body = {"algorithm": "fairflow", "max_reviewers_per_proposal": 6}
        response = as_role(world, role).patch(action_url(world.call, "matching-configuration"), body, format="json")
        assert response.status_code == expected
        if response.status_code == 200:
            parsed = MatchingConfiguration.from_dict(response.json())
            assert parsed.algorithm.value == "fairflow" and parsed.max_reviewers_per_proposal == 6

    def test_put_is_405_and_patch_is_audited(self, world):
        url = action_url(world.call, "matching-configuration")
        assert client_for(world.manager).put(url, {}, format="json").status_code == 405
        client_for(world.manager).patch(url, {"bid_weight": 0.5}, format="json")
        assert AuditEvent.objects.filter(event_type="MATCHING_CONFIGURATION_UPDATED", call=world.call).exists()

    @pytest.mark.parametrize("body,field", [
        ({"keyword_weight": 1.5}, "keyword_weight"),
        ({"text_weight": -0.1}, "text_weight"),
        ({"min_reviewers_per_proposal": 0}, "min_reviewers_per_proposal"),
        ({"max_reviewers_per_proposal": 21}, "max_reviewers_per_proposal"),
        ({"min_proposals_per_reviewer": 101}, "min_proposals_per_reviewer"),
        ({"max_proposals_per_reviewer": 0}, "max_proposals_per_reviewer"),
        ({"min_affinity_threshold": 2}, "min_affinity_threshold"),
        ({"bid_weight": "heavy"}, "bid_weight"),
        ({"algorithm": "greedy"}, "algorithm"),
        ({"affinity_method": "magic"}, "affinity_method"),
        ({"use_reviewer_bids": "perhaps"}, "use_reviewer_bids"),
        ({"min_reviewers_per_proposal": 6}, "non_field_errors"),
        ({"min_proposals_per_reviewer": 5, "max_proposals_per_reviewer": 4}, "non_field_errors"),
        ({"keyword_weight": 0.5}, "non_field_errors"),
        ({"keyword_weight": 0.3, "text_weight": 0.6}, "non_field_errors"),
        ({"max_reviewers_per_institution": 0}, "max_reviewers_per_institution"),
        ({"max_reviewers_per_country": 21}, "max_reviewers_per_country"),
        ({"min_reviewers_from_other_countries": -1}, "min_reviewers_from_other_countries"),
        ({"min_reviewers_from_other_countries": None}, "min_reviewers_from_other_countries"),
        ({"min_reviewers_per_career_stage": {"professor": 1}}, "min_reviewers_per_career_stage"),
        ({"min_reviewers_per_career_stage": {"senior": 21}}, "min_reviewers_per_career_stage"),
        ({"min_reviewers_per_career_stage": {"senior": "one"}}, "min_reviewers_per_career_stage"),
        ({"min_reviewers_per_career_stage": [1]}, "min_reviewers_per_career_stage"),
    ])
    def test_validation(self, world, body, field):
        response = client_for(world.manager).patch(action_url(world.call, "matching-configuration"), body, format="json")
        assert response.status_code == 400 and field in response.json(), response.json()

    def test_diversity_rules_default_off_and_round_trip(self, world):
        """Issue 14's fields: additive (the Waldur client still parses), off by default."""
        client = client_for(world.manager)
        url = action_url(world.call, "matching-configuration")
        body = client.get(url).json()
        assert (body["max_reviewers_per_institution"], body["max_reviewers_per_country"],
                body["min_reviewers_from_other_countries"], body["min_reviewers_per_career_stage"]) == (None, None, 0, {})
        rules = {"max_reviewers_per_institution": 1, "max_reviewers_per_country": 2,
                 "min_reviewers_from_other_countries": 1, "min_reviewers_per_career_stage": {"senior": 1}}
        response = client.patch(url, rules, format="json")
        assert response.status_code == 200 and {k: response.json()[k] for k in rules} == rules
        MatchingConfiguration.from_dict(response.json())
        refused = client.patch(url, {"max_reviewers_per_country": 0, "bid_weight": 0.9}, format="json")
        assert refused.status_code == 400 and list(refused.json()) == ["max_reviewers_per_country"]
        world.call.matching_config.refresh_from_db()
        assert world.call.matching_config.bid_weight == 0.3  # nothing half-written
        assert client.patch(url, {"max_reviewers_per_institution": None}, format="json").json()[
            "max_reviewers_per_institution"] is None

    def test_weights_rule_only_for_combined_and_tolerant(self, world):
        client = client_for(world.manager)
        url = action_url(world.call, "matching-configuration")
        assert client.patch(url, {"keyword_weight": 0.3, "text_weight": 0.7005}, format="json").status_code == 200
        assert client.patch(url, {"affinity_method": "keyword", "keyword_weight": 1.0}, format="json").status_code == 200
        response = client.patch(url, {"affinity_method": "combined"}, format="json")
        assert response.status_code == 400 and "non_field_errors" in response.json()
        assert client.patch(url, {"min_reviewers_per_proposal": 5}, format="json").status_code == 200


@pytest.mark.django_db
class TestCOIConfiguration:
    @role_matrix(READ)
    def test_get_by_role(self, world, role, expected):
        response = as_role(world, role).get(action_url(world.call, "coi-configuration"))
        assert response.status_code == expected
        if response.status_code == 200:
            body = response.json()
            parsed = CallCOIConfiguration.from_dict(body)
            assert parsed.call_uuid == world.call.uuid and parsed.recusal_required_types == []
            assert body["call"] == f"http://testserver/api/proposal-protected-calls/{world.call.uuid.hex}/"
            assert body["invitation_proposal_disclosure"] == "titles_only"

    @role_matrix(WRITE)
    def test_patch_by_role(self, world, role, expected):
        body = {"recusal_required_types": ["COAUTH_RECENT"], "invitation_proposal_disclosure": "full_details"}
        response = as_role(world, role).patch(action_url(world.call, "coi-configuration"), body, format="json")
        assert response.status_code == expected
        if response.status_code == 200:
            parsed = CallCOIConfiguration.from_dict(response.json())
            assert [t.value for t in parsed.recusal_required_types] == ["COAUTH_RECENT"]

    @pytest.mark.parametrize("body,field", [
        ({"coauthorship_lookback_years": 21}, "coauthorship_lookback_years"),
        ({"coauthorship_threshold_papers": 0}, "coauthorship_threshold_papers"),
        ({"coauthorship_threshold_papers": 51}, "coauthorship_threshold_papers"),
        ({"institutional_lookback_years": -1}, "institutional_lookback_years"),
        ({"invitation_proposal_disclosure": "everything"}, "invitation_proposal_disclosure"),
        ({"include_same_institution": "sometimes"}, "include_same_institution"),
        ({"recusal_required_types": ["NOT_A_TYPE"]}, "recusal_required_types"),
        ({"disclosure_only_types": "COMPET"}, "disclosure_only_types"),
        ({"management_allowed_types": [5]}, "management_allowed_types"),
    ])
    def test_field_validation(self, world, body, field):
        response = client_for(world.manager).patch(action_url(world.call, "coi-configuration"), body, format="json")
        assert response.status_code == 400 and field in response.json(), response.json()
        assert isinstance(response.json()[field], list)

    def test_overlap_message_and_merged_state(self, world):
        client = client_for(world.manager)
        url = action_url(world.call, "coi-configuration")
        response = client.patch(url, {"recusal_required_types": ["COMPET"], "disclosure_only_types": ["COMPET"]}, format="json")
        assert response.status_code == 400
        assert response.json() == {"non_field_errors": [OVERLAP.format("COMPET (recusal_required_types, disclosure_only_types)")]}
        assert client.patch(url, {"management_allowed_types": ["INST_SAME", "INST_SAME"]}, format="json").json()[
            "management_allowed_types"] == ["INST_SAME"]
        response = client.patch(url, {"recusal_required_types": ["INST_SAME"]}, format="json")
        assert response.json() == {"non_field_errors": [OVERLAP.format("INST_SAME (recusal_required_types, management_allowed_types)")]}

    def test_stored_rules_follow_the_configuration(self, world):
        conflict = ConflictOfInterest.objects.create(
            reviewer=world.profile, proposal=world.proposal, call=world.call, coi_type="COMPET", severity="real",
            rule="recusal_required",
        )
        client = client_for(world.manager)
        url = action_url(world.call, "coi-configuration")
        assert client.patch(url, {"disclosure_only_types": ["COMPET"]}, format="json").status_code == 200
        conflict.refresh_from_db()
        assert conflict.rule == "disclosure_only"
        assert AuditEvent.objects.filter(event_type="COI_CONFIGURATION_UPDATED", call=world.call).exists()
        # A failed PATCH leaves both the configuration and the rules untouched.
        client.patch(url, {"management_allowed_types": ["COMPET"]}, format="json")
        conflict.refresh_from_db()
        assert conflict.rule == "disclosure_only"
        world.call.coi_config.refresh_from_db()
        assert world.call.coi_config.management_allowed_types == []


@pytest.mark.django_db(transaction=True)
def test_published_client_drives_configurations(world, waldur):
    manager, support = waldur(world.manager), waldur(world.support)
    rows = call_assignment_configurations_list.sync(client=manager)
    assert [row.call_uuid for row in rows] == [world.call.uuid]
    assert call_assignment_configurations_count.sync(client=support) == 2
    key = rows[0].uuid
    assert call_assignment_configurations_retrieve.sync(key, client=support).assignment_expiration_days == 7
    patched = call_assignment_configurations_partial_update.sync(
        key, client=manager, body=PatchedCallAssignmentConfigurationRequest(assignment_expiration_days=10))
    assert patched.assignment_expiration_days == 10
    put = call_assignment_configurations_update.sync(
        key, client=manager, body=CallAssignmentConfigurationRequest(auto_reassign_on_decline=True))
    assert put.auto_reassign_on_decline is True

    call = world.call.uuid.hex
    matching = proposal_protected_calls_matching_configuration_partial_update.sync(
        call, client=manager, body=PatchedMatchingConfigurationRequest(algorithm=MatchingAlgorithm.HUNGARIAN))
    assert matching.algorithm == MatchingAlgorithm.HUNGARIAN
    assert proposal_protected_calls_matching_configuration_retrieve.sync(call, client=support).call_uuid == world.call.uuid
    coi_config = proposal_protected_calls_coi_configuration_partial_update.sync(
        call, client=manager, body=PatchedCallCOIConfigurationRequest(recusal_required_types=[CoiTypeEnum.COMPET]))
    assert coi_config.recusal_required_types == [CoiTypeEnum.COMPET]
    assert proposal_protected_calls_coi_configuration_retrieve.sync(call, client=support).uuid == coi_config.uuid
