"""The home page at / (issue 9): public, the same for every role, nothing loaded from another host."""

import re

import pytest

from tests.helpers import ROLES, role_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ROLES)
def test_home_page_for_every_role(client, world, role):
    user = role_user(world, role)
    if user is not None:
        client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<h1>Referee</h1>" in html
    for link in ("/api/docs/", "/api/schema/", "/admin/", "/health/"):
        assert f'href="{link}"' in html
    assert re.findall(r'(?:src|href)="(https?:)?//', html) == []  # every asset from this server


def test_home_page_query_count_is_constant(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        client.get("/")
