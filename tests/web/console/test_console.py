"""The console's own pages (issue 13): the calls a user manages with their round-up counts, one
call's tab frame, Waldur's tab names from the managers' mails, and who may open what."""

import pytest
from django.http import HttpResponse, QueryDict

from referee.web.console import tabs
from referee.web.console.views import render_tab
from tests import factories as f
from tests.helpers import count_queries, html, role_matrix, role_user, signed_in
from tests.web.console.helpers import READ, tab_url

pytestmark = pytest.mark.django_db

CALLS = "/manage/"


@pytest.fixture
def two_tabs(monkeypatch):
    """Two tabs that render the frame with their key, instead of whatever tabs are installed."""
    def view(key):
        return lambda request, call: render_tab(request, call, "web/console/tab.html", {"probe": key})

    monkeypatch.setattr(tabs, "TABS", {})
    tabs.register("batches", "Batches", view("batches"), order=50)
    tabs.register("pool", "Pool", view("pool"), order=20)


@role_matrix({"anonymous": 302, "stranger": 404, "reviewer": 404, "other_manager": 200, "manager": 200,
              "support": 200, "staff": 200})
def test_the_calls_list_is_for_those_who_manage_a_call_and_staff_and_support(client, world, role, expected):
    response = signed_in(client, role_user(world, role)).get(CALLS)
    assert response.status_code == expected
    if expected != 200:
        return
    page = html(response)
    sees_both = role in ("support", "staff")
    assert (world.call.name in page) == (role == "manager" or sees_both)
    assert (world.other_call.name in page) == (role == "other_manager" or sees_both)


def test_the_navigation_offers_the_console_only_to_who_can_use_it(client, world):
    assert "Manage calls" in html(signed_in(client, world.manager).get("/reviews/assignments/"))
    assert "Manage calls" not in html(signed_in(client, world.reviewer).get("/reviews/assignments/"))


def test_each_call_shows_its_round_up_counts(client, world):
    f.pool_entry(world.call, f.profile(f.user()), status="pending")
    batch = f.batch(world.entry, status="sent")
    f.item(batch, world.proposal, status="accepted")
    f.item(batch, world.proposal2)
    page = html(signed_in(client, world.manager).get(CALLS))
    row = page[page.index(world.call.name):]
    row = row[:row.index("</tr>")]
    assert "<td>2 / 2</td>" in row  # both proposals open for review
    assert "<td>1 · 1 · 0</td>" in row  # pool accepted · pending · declined
    assert "<td>0 · 1 · 0</td>" in row  # batches draft · sent · answered
    assert "<td>1 · 1 · 0</td>" in row.split("<td>0 · 1 · 0</td>")[1]  # items pending · accepted · declined


def test_the_calls_list_costs_the_same_queries_for_many_calls(client, world):
    signed_in(client, world.staff)
    client.get(CALLS)
    before = count_queries(client, CALLS)
    for _ in range(5):
        call = f.call(managers=[world.manager])
        entry = f.pool_entry(call, f.profile(f.user()))
        f.item(f.batch(entry, status="sent"), f.proposal(f.round_(call)))
    assert count_queries(client, CALLS) == before


@role_matrix(READ)
def test_a_calls_console_is_for_its_managers_support_and_staff(client, world, two_tabs, role, expected):
    response = signed_in(client, role_user(world, role)).get(tab_url(world.call, "pool"))
    assert response.status_code == expected
    if role == "anonymous":
        assert response["Location"].startswith("/login/?next=")
    if expected != 200:
        assert world.call.name not in html(response)
        return
    page = html(response)
    assert world.call.name in page and 'aria-current="page">Pool<' in page
    assert ("as support: nothing can be changed" in page) == (role == "support")
    assert page.index(">Pool<") < page.index(">Batches<")  # tabs in their order, not registration's


def test_without_a_tab_the_first_one_shows_and_an_unknown_tab_is_a_404(client, world, two_tabs):
    signed_in(client, world.manager)
    assert 'aria-current="page">Pool<' in html(client.get(tab_url(world.call)))
    assert client.get(tab_url(world.call, "nonsense")).status_code == 404


@pytest.mark.parametrize(("query", "tab"), [
    ("tab=reviewer-pool&pool_tab=assignment_batches", "batches"),  # batch expired, item declined mails
    ("tab=reviewer-pool", "pool"),  # pool invitation expired mail
    ("tab=reviewer-pool&pool_tab=", "pool"),
])
def test_waldurs_tab_names_in_the_managers_mails_lead_to_the_tab_showing_the_same(two_tabs, query, tab):
    assert tabs.chosen(QueryDict(query)).key == tab


def test_a_tab_view_receives_the_call_it_may_show(client, world, monkeypatch):
    seen = []
    monkeypatch.setattr(tabs, "TABS", {})
    tabs.register("overview", "Overview", lambda request, call: seen.append(call) or HttpResponse("ok"), order=10)
    assert signed_in(client, world.support).get(tab_url(world.call)).status_code == 200
    assert seen == [world.call]
