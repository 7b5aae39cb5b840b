"""The console's Audit tab (issue 13): who sees it, the call's events only (the visibility of
`/api/events/`), newest first, filtered by event type (the API's filterset), actor and date range,
bad input a 400 beside the field, paged, and a query count that does not grow with the events."""

from datetime import timedelta

import pytest

from referee.core.audit import record
from referee.core.enums import AuditEventType
from tests import factories as f
from tests.helpers import NOW, count_queries, html, role_matrix, role_user, signed_in
from tests.web.console.helpers import READ, tab_url

pytestmark = pytest.mark.django_db

SENT, CANCELLED = AuditEventType.ASSIGNMENT_BATCH_SENT, AuditEventType.ASSIGNMENT_BATCH_CANCELLED


def happened(batch, event_type, actor, moment, clock, **context):
    clock.move_to(moment)
    return record(event_type, batch, actor=actor, call=batch.call, from_state="draft", to_state="sent", **context)


@pytest.fixture
def trail(world, clock):
    """Three events of the world's call (two by the manager, one by the system) and one of another call."""
    batch = f.batch(world.entry)
    world.sent = happened(batch, SENT, world.manager, NOW - timedelta(days=3), clock, pending=2)
    world.cancelled = happened(batch, CANCELLED, world.manager, NOW - timedelta(days=1), clock)
    world.expired = happened(batch, AuditEventType.ASSIGNMENT_BATCH_EXPIRED, None, NOW, clock)
    other = f.batch(f.pool_entry(world.other_call, f.profile(f.user())))
    world.elsewhere = happened(other, AuditEventType.ASSIGNMENT_BATCH_DELETED, world.other_manager, NOW, clock)
    return world


def shown(client, world, **params) -> list:
    page = html(client.get(tab_url(world.call), {"tab": "audit", **params}))
    events = [world.sent, world.cancelled, world.expired, world.elsewhere]
    found = [e for e in events if f'title="{e.object_uuid}"' in page and f"<code>{e.event_type}</code>" in page]
    return sorted(found, key=lambda e: page.index(f"<code>{e.event_type}</code>"))


@role_matrix(READ)
def test_the_audit_tab_is_for_the_calls_managers_support_and_staff(client, world, trail, role, expected):
    response = signed_in(client, role_user(world, role)).get(tab_url(world.call, "audit"))
    assert response.status_code == expected
    assert (SENT in html(response)) == (expected == 200)


def test_the_calls_events_newest_first_and_no_other_calls(client, trail):
    signed_in(client, trail.staff)  # staff reads every event through the API: here, this call's only
    assert shown(client, trail) == [trail.expired, trail.cancelled, trail.sent]
    page = html(client.get(tab_url(trail.call, "audit")))
    assert "the system" in page and "&quot;pending&quot;: 2" in page


@pytest.mark.parametrize(("params", "expected"), [
    ({"event_type": SENT}, ["sent"]),
    ({"event_type": [SENT, CANCELLED]}, ["cancelled", "sent"]),
    ({"event_type": "NO_SUCH_EVENT"}, []),  # as the API: an open set of names, an unknown one finds nothing
    ({"actor": "MANAG"}, ["cancelled", "sent"]),
    ({"created_after": (NOW - timedelta(days=2)).date().isoformat()}, ["expired", "cancelled"]),
    ({"created_before": (NOW - timedelta(days=2)).date().isoformat()}, ["sent"]),
])
def test_filters_by_event_type_actor_and_dates(client, trail, params, expected):
    signed_in(client, trail.manager)
    assert shown(client, trail, **params) == [getattr(trail, name) for name in expected]


@pytest.mark.parametrize(("params", "message"), [
    ({"created_after": "last week"}, "Enter a valid date."),
    ({"created_before": "2026-02-30"}, "Enter a valid date."),
    ({"object_uuid": "nope"}, "object_uuid: Enter a valid UUID."),
])
def test_bad_filter_input_is_a_400_with_the_message(client, trail, params, message):
    response = signed_in(client, trail.manager).get(tab_url(trail.call), {"tab": "audit", **params})
    assert response.status_code == 400 and message in html(response)
    assert f"<code>{SENT}</code>" not in html(response)


def test_the_audit_tab_is_paged_and_costs_the_same_queries_for_many_events(client, world, trail, clock):
    signed_in(client, world.manager)
    url = tab_url(world.call, "audit")
    client.get(url)
    before = count_queries(client, url)
    batch = f.batch(f.pool_entry(world.call, f.profile(f.user())))
    for k in range(60):
        happened(batch, SENT, f.user(), NOW + timedelta(minutes=k), clock)
    assert count_queries(client, url) == before
    assert "Page 1 of 2 (63 events)" in html(client.get(url))
