"""The time zone the pages show a user's times in (issue 12): set on My profile, refused beside the
field when unknown, applied to every page (the API stays in UTC)."""

from datetime import UTC, datetime, timedelta

import pytest

from referee.core.accounts import set_time_zone
from referee.core.errors import FieldError
from referee.core.models import UNKNOWN_TIME_ZONE
from tests import factories as f
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

URL = "/profile/time-zone/"


def test_a_reviewer_sets_a_zone_and_the_pages_show_deadlines_in_it(world):
    client = client_for(world.reviewer)  # the API client signs in by session too
    client.force_login(world.reviewer)
    deadline = datetime(2031, 3, 10, 12, 0, tzinfo=UTC)
    batch = f.batch(world.entry, status="sent", sent_at=deadline - timedelta(days=7), expires_at=deadline)
    f.item(batch, world.proposal)
    assert client.post(URL, {"time_zone": "Asia/Tokyo"}).status_code == 302
    world.reviewer.refresh_from_db()
    assert world.reviewer.time_zone == "Asia/Tokyo"
    html = client.get("/reviews/assignments/").content.decode()
    assert 'title="2031-03-10 12:00 UTC">Mon 10 Mar 2031, 21:00 JST</time>' in html
    api = client.get(f"/api/my-assignment-batches/{batch.uuid.hex}/").json()
    assert api["expires_at"] == "2031-03-10T12:00:00Z"  # the API answers in UTC whatever the zone


def test_an_unknown_zone_is_refused_beside_the_field_and_nothing_changes(world):
    client = client_for(world.reviewer)
    client.force_login(world.reviewer)
    response = client.post(URL, {"time_zone": "Mars/Olympus"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 400 and 'id="id_time_zone-error"' in html and "Mars/Olympus is not one of" in html
    world.reviewer.refresh_from_db()
    assert world.reviewer.time_zone == ""


def test_the_domain_refuses_an_unknown_zone_in_the_same_words_for_every_front_end(world):
    with pytest.raises(FieldError, match=UNKNOWN_TIME_ZONE):
        set_time_zone(world.reviewer, "Mars/Olympus")


@pytest.mark.parametrize(("role", "expected"), [("anonymous", 302), ("support", 403), ("stranger", 302)])
def test_who_may_set_a_zone(world, client, role, expected):
    user = {"anonymous": None, "support": world.support, "stranger": world.stranger}[role]
    if user is not None:
        client.force_login(user)
    response = client.post(URL, {"time_zone": "Europe/Tallinn"})
    assert response.status_code == expected
    if role == "anonymous":
        assert response["Location"].startswith("/login/")
