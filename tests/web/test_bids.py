"""The bids page (issue 12): the proposals of my pools' calls as the call discloses them, my bid on
each changed in place through `reviewers.bids`, refusals beside the control in the API's words."""

import pytest

from referee.reviewers.models import ReviewerBid
from tests import factories as f
from tests.helpers import count_queries, role_matrix, role_user

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    if user is not None:
        client.force_login(user)
    return client


def disclose(call, level):
    call.coi_config.invitation_proposal_disclosure = level
    call.coi_config.save()


WHO = {"anonymous": 302, "stranger": 404, "reviewer": 200, "other_manager": 404, "manager": 404,
       "support": 404, "staff": 404}


@role_matrix(WHO)
def test_the_page_is_for_pool_reviewers(client, world, role, expected):
    response = signed_in(client, role_user(world, role)).get("/bids/")
    assert response.status_code == expected
    if role == "anonymous":
        assert response["Location"] == "/login/?next=/bids/"
    elif role == "stranger":
        assert 'href="/bids/"' not in client.get("/login/", follow=True).content.decode()


@role_matrix({**WHO, "reviewer": 302})
def test_only_a_pool_reviewer_bids(client, world, role, expected):
    response = signed_in(client, role_user(world, role)).post(
        "/bids/", {"proposal_uuid": world.proposal.uuid.hex, "bid": "eager"})
    assert response.status_code == expected
    assert ReviewerBid.objects.count() == (1 if role == "reviewer" else 0)


def test_the_navigation_shows_bids_to_pool_reviewers_only(client, world):
    client.force_login(world.reviewer)
    assert '<a href="/bids/" aria-current="page">Bids</a>' in client.get("/bids/").content.decode()
    pending = f.user("pending")
    f.pool_entry(world.call, f.profile(pending), status="pending")
    client.force_login(pending)
    assert client.get("/bids/").status_code == 404


def test_proposals_are_shown_at_the_calls_disclosure_level(client, world):
    disclose(world.call, "titles_and_summaries")
    f.conflict(world.profile, world.proposal2)  # blocking: title only
    closed = f.proposal(world.round, state="accepted")
    elsewhere = f.proposal(f.round_(world.other_call))
    client.force_login(world.reviewer)
    html = client.get("/bids/").content.decode()
    assert world.proposal.name in html and world.proposal.project_summary in html
    assert world.proposal2.name in html and world.proposal2.project_summary not in html and "Conflict</span>" in html
    assert closed.name not in html and elsewhere.name not in html
    disclose(world.call, "titles_only")
    assert world.proposal.project_summary not in client.get("/bids/").content.decode()


def test_a_bid_is_saved_and_changed(client, world):
    client.force_login(world.reviewer)
    key = world.proposal.uuid.hex
    response = client.post("/bids/", {"proposal_uuid": key, "bid": "eager"})
    assert response.status_code == 302 and response["Location"] == "/bids/"
    assert ReviewerBid.objects.get().bid == "eager"
    assert '<option value="eager" selected>' in client.get("/bids/").content.decode()
    response = client.post("/bids/", {"proposal_uuid": key, "bid": "not_willing"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Saved: Not Willing." in html and '<option value="not_willing" selected>' in html and "<h1>" not in html
    assert ReviewerBid.objects.get().bid == "not_willing"


def test_a_closed_proposal_refuses_the_bid_in_the_domains_words(client, world):
    client.force_login(world.reviewer)
    client.get("/bids/")
    world.proposal.state = "accepted"  # its review is over: bidding closed (bids.submit_bid)
    world.proposal.save()
    body = {"proposal_uuid": world.proposal.uuid.hex, "bid": "eager"}
    response = client.post("/bids/", body, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "role=\"alert\">Bidding is closed for this proposal." in response.content.decode()
    response = client.post("/bids/", body)  # without htmx: the proposal is gone from the list, the refusal above it
    assert response.status_code == 400 and "Bidding is closed for this proposal." in response.content.decode()
    assert not ReviewerBid.objects.exists()


def test_a_bad_bid_value_is_refused_beside_its_control(client, world):
    client.force_login(world.reviewer)
    key = world.proposal.uuid.hex
    response = client.post("/bids/", {"proposal_uuid": key, "bid": "maybe"})
    assert response.status_code == 400
    assert f'id="bid-{key}-error" role="alert">&quot;maybe&quot; is not a valid choice.' in response.content.decode()
    response = client.post("/bids/", {"proposal_uuid": "not-a-uuid", "bid": "eager"})
    assert response.status_code == 400
    assert not ReviewerBid.objects.exists()


def test_the_page_reads_a_constant_number_of_queries(client, world):
    other = f.call()
    f.pool_entry(other, world.profile)
    client.force_login(world.reviewer)
    client.get("/bids/")  # warm per-process caches
    before = count_queries(client, "/bids/")
    f.conflict(world.profile, world.proposal2)
    for call in (world.call, other):
        rnd = f.round_(call)
        for _ in range(10):
            proposal = f.proposal(rnd)
            ReviewerBid.objects.create(reviewer=world.profile, proposal=proposal, bid="willing")
    assert count_queries(client, "/bids/") == before
