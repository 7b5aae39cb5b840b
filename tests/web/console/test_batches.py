"""The console's Batches tab (issue 13): who sees and acts, the API's filters and ordering with
bad input refused in words, each batch action through the API's domain function with every
state guard refused beside the action in the API's words, in place (htmx) and as plain POSTs,
and a query count that does not grow with batches and items."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from referee.assignments.domain import batches as rules
from referee.assignments.enums import BatchStatus
from referee.assignments.filters import BATCH_ORDERING
from referee.assignments.views import CANCELLED_MESSAGE, SENT_MESSAGE
from referee.web.console.batches.forms import ORDER_CHOICES
from referee.web.console.batches.views import EXTENDED_MESSAGE
from tests import factories as f
from tests.helpers import count_queries, html, outbox, role_matrix, role_user, signed_in
from tests.web.console.helpers import READ, acting, tab_url

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def action(batch, name):
    return f"/call/{batch.call.uuid}/manage/batches/{batch.uuid}/{name}/?tab=batches"


def later(days=10):
    return (timezone.now() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def extend(client, batch, moment, **extra):
    return client.post(action(batch, "extend"), {f"{batch.uuid.hex}-expires_at": moment}, **extra)


@role_matrix(READ)
def test_the_batches_tab_is_for_the_calls_managers_support_and_staff(client, world, role, expected):
    batch = f.batch(world.entry)
    f.item(batch, world.proposal)
    response = signed_in(client, role_user(world, role)).get(tab_url(world.call, "batches"))
    assert response.status_code == expected
    page = html(response)
    assert (world.proposal.name in page) == (expected == 200)
    if expected == 200:
        assert 'aria-current="page">Batches<' in page
        assert (action(batch, "send").split("?")[0] in page) == (role != "support")  # support sees no action


MESSAGES = {"send": SENT_MESSAGE, "cancel": CANCELLED_MESSAGE, "extend": EXTENDED_MESSAGE}


@pytest.mark.parametrize("name", MESSAGES)
@role_matrix(acting(302))
def test_each_batch_action_is_for_managers_and_staff(client, world, name, role, expected):
    batch = f.batch(world.entry, status="sent" if name == "extend" else "draft")
    f.item(batch, world.proposal)
    before = (batch.status, batch.expires_at)
    data = {f"{batch.uuid.hex}-expires_at": later()} if name == "extend" else {}
    response = signed_in(client, role_user(world, role)).post(action(batch, name), data)
    assert response.status_code == expected
    acted = role in ("manager", "staff")
    batch.refresh_from_db()
    assert ((batch.status, batch.expires_at) != before) == acted
    if acted:
        assert response["Location"] == tab_url(world.call, "batches")
        assert MESSAGES[name] in html(client.get(response["Location"]))


def test_a_sent_batch_is_sent_in_place_and_redrawn_with_its_new_status(client, world):
    batch = f.batch(world.entry)
    f.item(batch, world.proposal)
    response = signed_in(client, world.manager).post(action(batch, "send"), **HTMX)
    assert response.status_code == 200
    page = html(response)
    assert page.startswith(f'<tbody id="batch-{batch.uuid.hex}">') or f'<tbody id="batch-{batch.uuid.hex}">' in page
    assert SENT_MESSAGE in page and BatchStatus.SENT.label in page
    assert len(outbox("reviewer_assignment_invitation")) == 1


@pytest.mark.parametrize(("status", "name", "data", "refusal"), [
    ("sent", "send", {}, rules.ONLY_DRAFT_SENT),
    ("responded", "cancel", {}, rules.ONLY_DRAFT_OR_SENT_CANCELLED),
    ("expired", "cancel", {}, rules.ONLY_DRAFT_OR_SENT_CANCELLED),
    ("draft", "extend", {"days": 10}, rules.ONLY_SENT_OR_EXPIRED_EXTENDED),
    ("cancelled", "extend", {"days": 10}, rules.ONLY_SENT_OR_EXPIRED_EXTENDED),
    ("sent", "extend", {"days": -1}, rules.DEADLINE_IN_PAST),
    ("sent", "extend", {"days": 400}, rules.DEADLINE_TOO_FAR),
    ("sent", "extend", {"days": 2}, rules.DEADLINE_NOT_LATER),  # the factory's deadline is in six days
    ("sent", "extend", {"moment": "next week"}, "Enter a valid date/time."),
    ("sent", "extend", {"moment": ""}, "This field is required."),
])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_every_state_guard_is_refused_beside_the_action_in_the_apis_words(client, world, status, name, data, refusal, htmx):
    batch = f.batch(world.entry, status=status)
    f.item(batch, world.proposal, status="accepted" if status == "responded" else "pending")
    before = (batch.status, batch.expires_at)
    signed_in(client, world.manager)
    extra = HTMX if htmx else {}
    if name == "extend":
        moment = data["moment"] if "moment" in data else later(data["days"])
        response = extend(client, batch, moment, **extra)
    else:
        response = client.post(action(batch, name), **extra)
    assert response.status_code == 400
    page = html(response)
    assert refusal in page
    row = page[page.index(f'id="batch-{batch.uuid.hex}"'):]
    assert refusal in row[:row.index("</tbody>")]  # beside this batch's actions
    batch.refresh_from_db()
    assert (batch.status, batch.expires_at) == before


def test_nothing_left_to_send_is_refused_and_nothing_changes(client, world):
    batch = f.batch(world.entry)
    f.item(batch, world.proposal, status="coi_blocked")
    response = signed_in(client, world.manager).post(action(batch, "send"))
    assert response.status_code == 400 and rules.NOTHING_TO_SEND in html(response)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DRAFT


def test_cancel_and_extend_go_through_the_domain(client, world):
    sent = f.batch(world.entry, status="sent")
    f.item(sent, world.proposal)
    expired = f.batch(f.pool_entry(world.call, f.profile(f.user())), status="expired")
    f.item(expired, world.proposal2, status="expired")
    signed_in(client, world.manager)
    assert CANCELLED_MESSAGE in html(client.post(action(sent, "cancel"), **HTMX))
    sent.refresh_from_db()
    assert sent.status == BatchStatus.CANCELLED
    response = extend(client, expired, later(), **HTMX)
    assert response.status_code == 200 and EXTENDED_MESSAGE in html(response)
    expired.refresh_from_db()
    assert expired.status == BatchStatus.SENT and expired.items.get().status == "pending"


def test_a_batch_of_another_call_is_not_found_through_this_calls_console(client, world):
    other = f.batch(f.pool_entry(world.other_call, f.profile(f.user())))
    f.item(other, f.proposal(f.round_(world.other_call)))
    signed_in(client, world.staff)
    url = f"/call/{world.call.uuid}/manage/batches/{other.uuid}/send/"
    assert client.post(url).status_code == 404
    other.refresh_from_db()
    assert other.status == BatchStatus.DRAFT


def test_the_filters_are_the_apis(client, world):
    rita = f.pool_entry(world.call, f.profile(f.user("rita", first_name="Rita", last_name="Reviewer")))
    draft, sent = f.batch(world.entry), f.batch(rita, status="sent")
    f.item(draft, world.proposal)
    f.item(sent, world.proposal2)
    signed_in(client, world.manager)

    def shown(**params):
        page = html(client.get(tab_url(world.call), {"tab": "batches", **params}))
        return {b for b in (draft, sent) if f'id="batch-{b.uuid.hex}"' in page}

    assert shown() == {draft, sent}
    assert shown(status="sent") == {sent}
    assert shown(status=["sent", "draft"]) == {draft, sent}
    assert shown(reviewer_uuid=str(rita.reviewer.uuid)) == {sent}
    assert shown(source="manual") == set() and shown(source="algorithm") == {draft, sent}
    assert shown(sent_after=(timezone.now() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")) == {sent}


def test_the_orderings_are_the_apis(client, world):
    first = f.batch(world.entry, status="sent", expires_at=timezone.now() + timedelta(days=3))
    second = f.batch(f.pool_entry(world.call, f.profile(f.user())), status="sent",
                     expires_at=timezone.now() + timedelta(days=1))
    assert {key.lstrip("-") for key, _ in ORDER_CHOICES} == set(BATCH_ORDERING)
    signed_in(client, world.manager)
    page = html(client.get(tab_url(world.call), {"tab": "batches", "o": "expires_at"}))
    assert page.index(second.uuid.hex) < page.index(first.uuid.hex)
    page = html(client.get(tab_url(world.call), {"tab": "batches", "o": "-expires_at"}))
    assert page.index(first.uuid.hex) < page.index(second.uuid.hex)


@pytest.mark.parametrize(("params", "message"), [
    ({"status": "lost"}, "Select a valid choice. lost is not one of the available choices."),
    ({"reviewer_uuid": "nobody"}, "Enter a valid UUID."),
    ({"sent_after": "yesterday"}, "Enter a valid date/time."),
    ({"reviewer_pool_entry_uuid": "x"}, "reviewer_pool_entry_uuid: Enter a valid UUID."),
    ({"o": "reviewer"}, "Unknown ordering key 'reviewer'. Allowed: created, expires_at, sent_at, status."),
])
def test_bad_filter_input_is_a_400_with_the_message_beside_the_field(client, world, params, message):
    f.item(f.batch(world.entry), world.proposal)
    response = signed_in(client, world.manager).get(tab_url(world.call), {"tab": "batches", **params})
    assert response.status_code == 400
    assert escape(message) in html(response)
    assert world.proposal.name not in html(response)  # no rows for a filter that could not be read


def test_the_tab_costs_the_same_queries_for_many_batches_and_items(client, world):
    def add_batches(n):
        for k in range(n):
            entry = f.pool_entry(world.call, f.profile(f.user()))
            batch = f.batch(entry, status=("draft", "sent", "expired")[k % 3])
            for proposal in (world.proposal, world.proposal2):
                f.item(batch, proposal, status="expired" if batch.status == "expired" else "pending")

    add_batches(2)
    signed_in(client, world.manager)
    url = tab_url(world.call)
    client.get(url, {"tab": "batches"})
    before = count_queries(client, url, {"tab": "batches"})
    add_batches(30)
    assert count_queries(client, url, {"tab": "batches"}) == before
    assert count_queries(client, url, {"tab": "batches", "page": 2}) == before


def test_the_reviewer_filter_finds_by_name_and_keeps_the_words(client, world):
    eve = f.pool_entry(world.call, f.profile(f.user("eve", first_name="<Eve>", last_name="Evil")))
    nameless = f.pool_entry(world.call, f.profile(f.user("zed", first_name="", last_name="")))
    evil, unnamed, other = f.batch(eve), f.batch(nameless), f.batch(world.entry)
    signed_in(client, world.manager)

    def shown(words):
        page = html(client.get(tab_url(world.call), {"tab": "batches", "reviewer": words}))
        return page, {b for b in (evil, unnamed, other) if f'id="batch-{b.uuid.hex}"' in page}

    page, found = shown(" <eve> EVIL ")
    assert found == {evil} and 'value=" &lt;eve&gt; EVIL "' in page  # the words kept, escaped
    assert shown("zed")[1] == {unnamed}  # no name: the username, as the list shows it
    assert shown("nobody")[1] == set()
    assert str(world.profile.uuid) not in page  # the pool is not listed in the filters
