"""`/` (issue 12): a signed-in user goes on to My assignments, anyone else to the sign-in page,
which says below its form what Referee is and links to the API documentation, schema, admin and
health check, the same for everyone, nothing loaded from another host."""

import re

import pytest

from referee.notifications.mails import REVIEWS_PATH
from tests.helpers import ROLES, role_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ROLES)
def test_home_leads_a_signed_in_user_to_my_assignments_and_anyone_else_to_sign_in(client, world, role):
    user = role_user(world, role)
    if user is not None:
        client.force_login(user)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == (REVIEWS_PATH if user is not None else "/login/")


def test_the_sign_in_page_says_what_referee_is_below_the_form(client):
    response = client.get("/login/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<h1>Sign in</h1>" in html and '<h2 id="about-referee">About Referee</h2>' in html
    assert html.index("</form>") < html.index("About Referee")
    assert "assigns reviewers to the proposals of a call for proposals" in html
    for link in ("/api/docs/", "/api/schema/", "/admin/", "/health/"):
        assert f'href="{link}"' in html
    assert re.findall(r'(?:src|href)="(https?:)?//', html) == []  # every asset from this server


def test_home_and_sign_in_page_query_counts_are_constant(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        client.get("/")
    with django_assert_num_queries(0):
        client.get("/login/")
