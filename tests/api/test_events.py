"""`/api/events/` (§7, Audit): read-only audit trail for staff/support and the call's managers."""

import uuid

import pytest
from waldur_api_client.models import Event as ClientEvent

from referee.core.audit import record
from referee.core.models import AuditEvent
from tests import factories as f
from tests.helpers import (
    ROLES,
    as_role,
    assert_constant_queries,
    assert_read_only,
    assert_visible,
    client_for,
    role_matrix,
    role_user,
)

LIST = "/api/events/"


def url(event):
    return f"{LIST}{event.uuid.hex}/"


@pytest.fixture
def events(world):
    return {
        "own": record("ASSIGNMENT_BATCH_SENT", world.entry, actor=world.manager, call=world.call, from_state="draft",
                      to_state="sent", message="Sent", pending=2),
        "foreign": record("COI_DISMISSED", world.other_call, actor=world.other_manager, call=world.other_call),
        "callless": AuditEvent.objects.create(event_type="USER_CREATED", object_type="User",
                                              object_uuid=world.stranger.uuid),
    }


@pytest.mark.django_db
class TestEvents:
    def test_detail_fields(self, world, events):
        own = events["own"]
        body = client_for(world.manager).get(url(own)).json()
        ClientEvent.from_dict(body)
        assert body == {
            "uuid": own.uuid.hex, "created": body["created"], "event_type": "ASSIGNMENT_BATCH_SENT",
            "actor": "manager", "actor_uuid": world.manager.uuid.hex, "call_uuid": world.call.uuid.hex,
            "object_type": "CallReviewerPool", "object_uuid": world.entry.uuid.hex, "from_state": "draft",
            "to_state": "sent", "message": "Sent", "context": {"pending": 2},
        }
        assert body["created"].endswith("Z")

    def test_missing_actor_and_call(self, world, events):
        body = client_for(world.staff).get(url(events["callless"])).json()
        ClientEvent.from_dict(body)
        assert (body["actor"], body["actor_uuid"], body["call_uuid"], body["context"]) == ("", None, None, {})

    @role_matrix({"anonymous": set(), "stranger": set(), "reviewer": set(), "other_manager": {"foreign"},
                  "manager": {"own"}, "support": {"own", "foreign", "callless"}, "staff": {"own", "foreign", "callless"}})
    def test_visibility(self, world, events, role, expected):
        assert_visible(as_role(world, role), role, LIST, events, expected, url, parse=ClientEvent.from_dict)

    @pytest.mark.parametrize("role", ROLES)
    def test_read_only(self, world, events, role):
        assert_read_only(client_for(role_user(world, role)), role, LIST, url(events["own"]),
                         create={"event_type": "X"}, change={"message": "forged"})

    def test_filters_and_ordering(self, world, events):
        client = client_for(world.staff)

        def uuids(**params):
            response = client.get(LIST, params)
            assert response.status_code == 200, response.content
            return [row["uuid"] for row in response.json()]

        own, foreign, callless = (events[n].uuid.hex for n in ("own", "foreign", "callless"))
        assert uuids() == [callless, foreign, own]  # -created
        assert uuids(o="created") == [own, foreign, callless]
        assert uuids(call_uuid=world.call.uuid.hex) == [own]
        assert uuids(event_type=["COI_DISMISSED", "USER_CREATED"]) == [callless, foreign]
        assert uuids(event_type="NOTHING") == []
        assert uuids(object_uuid=str(world.entry.uuid)) == [own]
        for param, value in (("call_uuid", "x"), ("object_uuid", "nope"), ("o", "actor")):
            response = client.get(LIST, {param: value})
            assert response.status_code == 400 and param in response.json()

    def test_non_uuid_and_unknown_are_404(self, world):
        client = client_for(world.staff)
        assert client.get(f"{LIST}nope/").status_code == 404
        assert client.get(f"{LIST}{uuid.uuid4().hex}/").status_code == 404

    def test_query_count_is_constant(self, world, events):
        def add_events():
            for _ in range(5):
                record("SOMETHING", world.entry, actor=f.user(), call=world.call)

        assert_constant_queries(client_for(world.manager), LIST, add_events)
        assert_constant_queries(client_for(world.support), LIST, add_events)
