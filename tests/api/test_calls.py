"""`/api/proposal-protected-calls/` (§3.12): visibility, staff creation, manager updates."""

import pytest
from waldur_api_client.api.proposal_protected_calls import (
    proposal_protected_calls_count,
    proposal_protected_calls_create,
    proposal_protected_calls_list,
    proposal_protected_calls_partial_update,
    proposal_protected_calls_retrieve,
    proposal_protected_calls_update,
)
from waldur_api_client.models import (
    CallStates,
    PatchedProtectedCallRequest,
    ProtectedCall,
    ProtectedCallOEnum,
    ProtectedCallRequest,
)

from referee.calls.models import Call
from referee.core.models import AuditEvent
from tests import factories as f
from tests.helpers import as_role, assert_constant_queries, client_for, role_matrix, role_user

URL = "/api/proposal-protected-calls/"


def detail(call):
    return f"{URL}{call.uuid.hex}/"


def parsed(body):
    call = ProtectedCall.from_dict(body)
    assert call.uuid.hex == body["uuid"]
    return call


@pytest.mark.django_db
class TestVisibility:
    # Who sees `world.call` (list membership and detail status).
    EXPECTED = {
        "anonymous": 401, "stranger": 404, "reviewer": 200, "other_manager": 404,
        "manager": 200, "support": 200, "staff": 200,
    }

    @role_matrix(EXPECTED)
    def test_detail_by_role(self, world, role, expected):
        response = as_role(world, role).get(detail(world.call))
        assert response.status_code == expected
        if response.status_code == 200:
            parsed(response.json())

    @role_matrix(EXPECTED)
    def test_list_by_role(self, world, role, expected):
        response = as_role(world, role).get(URL)
        if role == "anonymous":
            assert response.status_code == 401
            return
        assert response.status_code == 200
        uuids = {row["uuid"] for row in response.json()}
        assert (world.call.uuid.hex in uuids) == (expected == 200)
        for row in response.json():
            parsed(row)

    def test_proposal_creator_and_team_see_the_call(self, world):
        member = f.user()
        f.proposal(world.round, created_by=f.user(), team=[member], state="draft")
        assert client_for(member).get(detail(world.call)).status_code == 200
        assert client_for(world.applicant).get(detail(world.call)).status_code == 200

    def test_other_manager_sees_only_their_call(self, world):
        rows = client_for(world.other_manager).get(URL).json()
        assert [row["uuid"] for row in rows] == [world.other_call.uuid.hex]

    def test_non_uuid_segment_is_404(self, world):
        assert client_for(world.staff).get(f"{URL}not-a-uuid/").status_code == 404


@pytest.mark.django_db
class TestRepresentation:
    def test_keys_and_values(self, world):
        customer = f.customer("Acme Research")
        Call.objects.filter(pk=world.call.pk).update(manager=customer)
        body = client_for(world.manager).get(detail(world.call)).json()
        call = parsed(body)
        assert body["url"] == f"http://testserver{detail(world.call)}"
        assert body["manager"] == f"http://testserver/api/customers/{customer.uuid.hex}/"
        assert body["manager_uuid"] == customer.uuid.hex
        assert body["manager_name"] == "Acme Research"
        assert body["managers"] == [world.manager.uuid.hex]
        assert body["state"] == "active"
        assert [r.uuid for r in call.rounds] == [world.round.uuid]
        assert body["rounds"][0]["status"] == "open"

    def test_missing_manager_is_null_link_and_nil_uuid(self, world):
        body = client_for(world.manager).get(detail(world.call)).json()
        assert body["manager"] is None
        assert body["manager_uuid"] == "0" * 32
        assert body["manager_name"] == ""
        parsed(body)


@pytest.mark.django_db
class TestCreate:
    def test_staff_creates_with_configurations(self, world):
        customer = f.customer()
        response = client_for(world.staff).post(URL, {
            "name": "Space call", "description": "About space", "manager": f"http://testserver/api/customers/{customer.uuid.hex}/",
            "managers": [str(world.manager.uuid)],
        }, format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        parsed(body)
        call = Call.objects.get(uuid=body["uuid"])
        assert call.slug == "space-call" and call.state == "draft" and call.manager == customer
        assert list(call.managers.all()) == [world.manager]
        assert call.assignment_config and call.coi_config and call.matching_config
        assert AuditEvent.objects.filter(event_type="CALL_CREATED", object_uuid=call.uuid).exists()

    def test_generated_slug_is_unique(self, world):
        client = client_for(world.staff)
        first = client.post(URL, {"name": "Twin"}, format="json").json()
        second = client.post(URL, {"name": "Twin"}, format="json").json()
        assert first["slug"] == "twin" and second["slug"] == "twin-2"

    @role_matrix({"anonymous": 401, "stranger": 403, "reviewer": 403, "manager": 403, "support": 403})
    def test_only_staff_create(self, world, role, expected):
        response = client_for(role_user(world, role)).post(URL, {"name": "X"}, format="json")
        assert response.status_code == expected

    @pytest.mark.parametrize("body,field", [
        ({}, "name"),
        ({"name": "X", "state": "bogus"}, "state"),
        ({"name": "X", "manager": "0" * 32}, "manager"),
        ({"name": "X", "manager": "not a link"}, "manager"),
        ({"name": "X", "managers": ["0" * 32]}, "managers"),
        ({"name": "X", "managers": "abc"}, "managers"),
        ({"name": "X", "slug": "has spaces"}, "slug"),
        ({"name": "x" * 300}, "name"),
    ])
    def test_validation_names_the_field(self, world, body, field):
        response = client_for(world.staff).post(URL, body, format="json")
        assert response.status_code == 400
        assert field in response.json()

    def test_duplicate_slug_is_400(self, world):
        response = client_for(world.staff).post(URL, {"name": "X", "slug": world.call.slug}, format="json")
        assert response.status_code == 400 and "slug" in response.json()


@pytest.mark.django_db
class TestUpdate:
    @role_matrix({
        "anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 403, "support": 403, "manager": 200,
        "staff": 200,
    })
    def test_patch_by_role(self, world, role, expected):
        response = client_for(role_user(world, role)).patch(detail(world.call), {"name": "Renamed"}, format="json")
        assert response.status_code == expected
        if expected == 200:
            assert parsed(response.json()).name == "Renamed"

    def test_state_change_is_audited(self, world):
        response = client_for(world.manager).patch(detail(world.call), {"state": "archived"}, format="json")
        assert response.status_code == 200 and response.json()["state"] == "archived"
        event = AuditEvent.objects.get(event_type="CALL_STATE_CHANGED", object_uuid=world.call.uuid)
        assert (event.from_state, event.to_state, event.actor) == ("active", "archived", world.manager)

    def test_managers_are_staff_only(self, world):
        body = {"managers": [world.stranger.uuid.hex]}
        assert client_for(world.manager).patch(detail(world.call), body, format="json").status_code == 403
        response = client_for(world.staff).patch(detail(world.call), body, format="json")
        assert response.status_code == 200 and response.json()["managers"] == [world.stranger.uuid.hex]
        assert client_for(world.stranger).patch(detail(world.call), {"name": "Mine"}, format="json").status_code == 200

    def test_put_requires_name(self, world):
        client = client_for(world.manager)
        assert "name" in client.put(detail(world.call), {"description": "d"}, format="json").json()
        response = client.put(detail(world.call), {"name": "Full", "description": "d"}, format="json")
        assert response.status_code == 200 and response.json()["description"] == "d"

    def test_invalid_values_are_400(self, world):
        client = client_for(world.manager)
        assert "state" in client.patch(detail(world.call), {"state": "open"}, format="json").json()
        response = client.patch(detail(world.call), {"slug": world.other_call.slug}, format="json")
        assert response.status_code == 400 and "slug" in response.json()
        response = client.generic("PATCH", detail(world.call), "[1, 2]", content_type="application/json")
        assert response.status_code == 400

    def test_delete_is_405(self, world):
        assert client_for(world.staff).delete(detail(world.call)).status_code == 405


@pytest.mark.django_db
class TestListing:
    def test_state_filter_multi_value_and_bad_value(self, world):
        f.call(state="draft", managers=[world.manager])
        client = client_for(world.manager)
        assert {r["state"] for r in client.get(URL, {"state": "draft"}).json()} == {"draft"}
        assert len(client.get(URL + "?state=draft&state=active").json()) == 2
        response = client.get(URL, {"state": "nope"})
        assert response.status_code == 400 and "state" in response.json()
        assert client.get(URL, {"manager_uuid": "xyz"}).status_code == 400

    def test_name_filter_and_ordering(self, world):
        client = client_for(world.staff)
        Call.objects.filter(pk=world.call.pk).update(name="Alpha")
        Call.objects.filter(pk=world.other_call.pk).update(name="Beta")
        assert [r["name"] for r in client.get(URL, {"name": "alp"}).json()] == ["Alpha"]
        assert [r["name"] for r in client.get(URL, {"o": "-name"}).json()] == ["Beta", "Alpha"]
        assert client.get(URL, {"o": "manager__customer__name"}).status_code == 200
        assert client.get(URL, {"o": "bogus"}).status_code == 400

    def test_head(self, world):
        response = client_for(world.staff).head(URL)
        assert response.status_code == 200 and response["X-Result-Count"] == "2" and response.content == b""

    def test_query_count_is_constant(self, world):
        def add_rows():
            for _ in range(5):
                call = f.call(managers=[world.manager, f.user()], manager=f.customer())
                f.round_(call)
                f.round_(call)

        assert_constant_queries(client_for(world.manager), URL, add_rows)
        assert_constant_queries(client_for(world.staff), URL, add_rows)


@pytest.mark.django_db
class TestAdmin:
    @pytest.fixture
    def admin_client(self, world, client):
        admin = f.user("admin", is_staff=True)
        admin.is_superuser = True
        admin.save()
        client.force_login(admin)
        return client

    def test_pages_render(self, world, admin_client):
        for path in ("/admin/calls/call/", "/admin/calls/call/add/", f"/admin/calls/call/{world.call.pk}/change/",
                     "/admin/calls/round/", f"/admin/calls/round/{world.round.pk}/change/",
                     "/admin/calls/proposal/", f"/admin/calls/proposal/{world.proposal.pk}/change/"):
            assert admin_client.get(path).status_code == 200, path

    def test_adding_a_call_creates_its_configurations(self, world, admin_client):
        forms = {}
        for prefix in ("assignment_config", "coi_config", "matching_config", "rounds"):
            forms.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
        response = admin_client.post("/admin/calls/call/add/", {"name": "Admin call", "slug": "admin-call", "state": "draft", **forms})
        assert response.status_code == 302, response.content[:2000]
        call = Call.objects.get(slug="admin-call")
        assert call.assignment_config and call.coi_config and call.matching_config


@pytest.mark.django_db(transaction=True)
def test_published_client_drives_calls(world, waldur):
    staff, manager = waldur(world.staff), waldur(world.manager)
    customer = f.customer()
    created = proposal_protected_calls_create.sync(client=staff, body=ProtectedCallRequest(
        name="Client call", manager=f"http://testserver/api/customers/{customer.uuid.hex}/"))
    assert isinstance(created, ProtectedCall) and created.state == CallStates.DRAFT
    assert created.manager_uuid == customer.uuid
    rows = proposal_protected_calls_list.sync(client=staff, state=[CallStates.ACTIVE], o=[ProtectedCallOEnum.VALUE_2])
    assert len(rows) == 2 and [row.name for row in rows] == sorted([row.name for row in rows], reverse=True)
    assert proposal_protected_calls_count.sync(client=manager) == 1
    assert proposal_protected_calls_retrieve.sync(world.call.uuid, client=manager).rounds[0].uuid == world.round.uuid
    patched = proposal_protected_calls_partial_update.sync(world.call.uuid, client=manager,
                                                           body=PatchedProtectedCallRequest(description="Via client"))
    assert patched.description == "Via client"
    put = proposal_protected_calls_update.sync(world.call.uuid, client=manager, body=ProtectedCallRequest(
        name="Put name", manager=f"http://testserver/api/customers/{customer.uuid.hex}/"))
    assert put.name == "Put name" and put.manager_uuid == customer.uuid


@pytest.mark.django_db
def test_client_filters_customer_and_active_round(world):
    customer = f.customer()
    Call.objects.filter(pk=world.other_call.pk).update(manager=customer)
    client = client_for(world.staff)
    assert [r["uuid"] for r in client.get(URL, {"customer_uuid": customer.uuid.hex}).json()] == [world.other_call.uuid.hex]
    assert [r["uuid"] for r in client.get(URL, {"has_active_round": "true"}).json()] == [world.call.uuid.hex]
    assert [r["uuid"] for r in client.get(URL, {"has_active_round": "false"}).json()] == [world.other_call.uuid.hex]
    response = client.get(URL, {"has_active_round": "maybe"})
    assert response.status_code == 400 and "has_active_round" in response.json()
