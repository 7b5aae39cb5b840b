"""`/api/proposal-protected-calls/{uuid}/rounds/` (§3.12): list, create (200), detail, patch."""

from datetime import timedelta

import pytest
from django.utils import timezone
from waldur_api_client.api.proposal_protected_calls import (
    proposal_protected_calls_rounds_list,
    proposal_protected_calls_rounds_partial_update,
    proposal_protected_calls_rounds_retrieve,
    proposal_protected_calls_rounds_set,
)
from waldur_api_client.models import PatchedProtectedRoundRequest, ProtectedRound, ProtectedRoundRequest, RoundStatus

from referee.core.models import AuditEvent
from tests import factories as f
from tests.helpers import as_role, assert_constant_queries, client_for, role_matrix


def rounds_url(call):
    return f"/api/proposal-protected-calls/{call.uuid.hex}/rounds/"


def round_url(call, round_):
    return f"{rounds_url(call)}{round_.uuid.hex}/"


def times(start_days, cutoff_days):
    now = timezone.now()
    return {
        "start_time": (now + timedelta(days=start_days)).isoformat(),
        "cutoff_time": (now + timedelta(days=cutoff_days)).isoformat(),
    }


READ = {"anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 200, "manager": 200, "support": 200, "staff": 200}
WRITE = {"anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 403, "manager": 200, "support": 403, "staff": 200}


@pytest.mark.django_db
class TestList:
    @role_matrix(READ)
    def test_by_role(self, world, role, expected):
        response = as_role(world, role).get(rounds_url(world.call))
        assert response.status_code == expected
        if response.status_code == 200:
            rows = response.json()
            assert [ProtectedRound.from_dict(row).uuid for row in rows] == [world.round.uuid]

    def test_representation(self, world):
        body = client_for(world.manager).get(rounds_url(world.call)).json()[0]
        parsed = ProtectedRound.from_dict(body)
        assert body["url"] == f"http://testserver{round_url(world.call, world.round)}"
        assert parsed.status.value == "open"
        assert body["has_proposals"] is True and body["proposals"] == []
        assert body["lifecycle_state"] is None and body["call_uuid"] == world.call.uuid.hex

    def test_order_head_and_query_count(self, world):
        client = client_for(world.manager)
        early = f.round_(world.call, start_time=timezone.now() - timedelta(days=30), cutoff_time=timezone.now() - timedelta(days=20))
        assert [r["uuid"] for r in client.get(rounds_url(world.call)).json()] == [early.uuid.hex, world.round.uuid.hex]
        assert client.get(rounds_url(world.call), {"o": "-name"}).status_code == 200
        assert client.get(rounds_url(world.call), {"o": "bogus"}).status_code == 400
        head = client.head(rounds_url(world.call))
        assert head.status_code == 200 and head["X-Result-Count"] == "2" and head.content == b""
        assert_constant_queries(client, rounds_url(world.call), lambda: [f.round_(world.call) for _ in range(5)])

    def test_call_filters_do_not_apply(self, world):
        # `state` is a call filter; the rounds list must ignore it rather than fail.
        response = client_for(world.manager).get(rounds_url(world.call), {"state": "draft"})
        assert response.status_code == 200 and len(response.json()) == 1


@pytest.mark.django_db
class TestCreate:
    @role_matrix(WRITE)
    def test_by_role(self, world, role, expected):
        body = {"name": "Spring", **times(1, 10)}
        response = as_role(world, role).post(rounds_url(world.call), body, format="json")
        assert response.status_code == expected
        if response.status_code == 200:
            parsed = ProtectedRound.from_dict(response.json())
            assert parsed.status.value == "scheduled" and parsed.name == "Spring" and parsed.slug == "spring"
            assert world.call.rounds.count() == 2

    def test_optional_fields_and_audit(self, world):
        response = client_for(world.manager).post(
            rounds_url(world.call), {**times(-5, -1), "review_duration_in_days": 14}, format="json"
        )
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ended" and body["review_duration_in_days"] == 14 and body["name"] == ""
        assert body["has_proposals"] is False
        assert AuditEvent.objects.filter(event_type="ROUND_CREATED", object_uuid=body["uuid"]).exists()

    def test_naive_times_are_utc(self, world):
        body = {"start_time": "2030-01-01T10:00:00", "cutoff_time": "2030-02-01T10:00:00"}
        response = client_for(world.manager).post(rounds_url(world.call), body, format="json")
        assert response.json()["start_time"] == "2030-01-01T10:00:00Z"

    @pytest.mark.parametrize("body,field", [
        (times(10, 1), "cutoff_time"),
        (times(1, 1), "cutoff_time"),
        ({"cutoff_time": times(0, 1)["cutoff_time"]}, "start_time"),
        ({**times(1, 2), "start_time": "yesterday"}, "start_time"),
        ({**times(1, 2), "review_duration_in_days": 0}, "review_duration_in_days"),
        ({**times(1, 2), "review_duration_in_days": "x"}, "review_duration_in_days"),
        ({**times(1, 2), "name": "n" * 300}, "name"),
    ])
    def test_validation_names_the_field(self, world, body, field):
        response = client_for(world.manager).post(rounds_url(world.call), body, format="json")
        assert response.status_code == 400
        assert field in response.json()


@pytest.mark.django_db
class TestDetail:
    @role_matrix(READ)
    def test_get_by_role(self, world, role, expected):
        response = as_role(world, role).get(round_url(world.call, world.round))
        assert response.status_code == expected
        if response.status_code == 200:
            assert ProtectedRound.from_dict(response.json()).uuid == world.round.uuid

    def test_unknown_foreign_or_malformed_round_is_404(self, world):
        client = client_for(world.staff)
        foreign = f.round_(world.other_call)
        assert client.get(round_url(world.call, foreign)).status_code == 404
        assert client.get(f"{rounds_url(world.call)}{'0' * 32}/").status_code == 404
        assert client.get(f"{rounds_url(world.call)}nope/").status_code == 404
        assert client.patch(f"{rounds_url(world.call)}{'0' * 32}/", {"name": "x"}, format="json").status_code == 404

    @role_matrix(WRITE)
    def test_patch_by_role(self, world, role, expected):
        response = as_role(world, role).patch(round_url(world.call, world.round), {"name": "Renamed"}, format="json")
        assert response.status_code == expected
        if response.status_code == 200:
            assert ProtectedRound.from_dict(response.json()).name == "Renamed"

    def test_patch_is_checked_on_the_merged_state(self, world):
        client = client_for(world.manager)
        late_start = {"start_time": (world.round.cutoff_time + timedelta(days=1)).isoformat()}
        response = client.patch(round_url(world.call, world.round), late_start, format="json")
        assert response.status_code == 400 and "start_time" in response.json()
        early_cutoff = {"cutoff_time": (world.round.start_time - timedelta(days=1)).isoformat()}
        response = client.patch(round_url(world.call, world.round), early_cutoff, format="json")
        assert response.status_code == 400 and "cutoff_time" in response.json()
        ok = {"review_duration_in_days": None, **times(-1, 5)}
        response = client.patch(round_url(world.call, world.round), ok, format="json")
        assert response.status_code == 200 and response.json()["status"] == "open"
        assert AuditEvent.objects.filter(event_type="ROUND_UPDATED", object_uuid=world.round.uuid).exists()

    def test_unrouted_methods_are_405(self, world):
        client = client_for(world.manager)
        assert client.put(round_url(world.call, world.round), {"name": "x"}, format="json").status_code == 405
        assert client.delete(round_url(world.call, world.round)).status_code == 405
        assert client.delete(rounds_url(world.call)).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_published_client_drives_rounds(world, waldur):
    manager = waldur(world.manager)
    now = timezone.now()
    created = proposal_protected_calls_rounds_set.sync(world.call.uuid.hex, client=manager, body=ProtectedRoundRequest(
        start_time=now + timedelta(days=1), cutoff_time=now + timedelta(days=9), review_duration_in_days=5))
    assert isinstance(created, ProtectedRound) and created.status == RoundStatus.SCHEDULED
    assert created.review_duration_in_days == 5
    rows = proposal_protected_calls_rounds_list.sync(world.call.uuid.hex, client=manager)
    assert [row.uuid for row in rows] == [world.round.uuid, created.uuid]
    fetched = proposal_protected_calls_rounds_retrieve.sync(world.call.uuid.hex, created.uuid.hex, client=manager)
    assert fetched.uuid == created.uuid
    patched = proposal_protected_calls_rounds_partial_update.sync(
        world.call.uuid.hex, created.uuid.hex, client=manager,
        body=PatchedProtectedRoundRequest(start_time=now - timedelta(days=1)))
    assert patched.status == RoundStatus.OPEN


@pytest.mark.django_db
def test_a_round_always_has_a_slug(world):
    """Made from its name, else "round"; a blank slug sent later is made from the name again."""
    client = client_for(world.manager)
    path = f"/api/proposal-protected-calls/{world.call.uuid.hex}/rounds/"
    body = {"start_time": "2030-01-01T00:00:00Z", "cutoff_time": "2030-02-01T00:00:00Z"}
    unnamed = client.post(path, body, format="json").json()
    named = client.post(path, {**body, "name": "Autumn 2030"}, format="json").json()
    assert (unnamed["slug"], named["slug"]) == ("round", "autumn-2030")
    changed = client.patch(f"{path}{named['uuid']}/", {"slug": "", "name": "Winter"}, format="json").json()
    assert changed["slug"] == "winter"
