"""The shared API conventions of §1, exercised on the simplest resources (users, customers)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from referee.api.authentication import TokenAuthentication
from referee.core.accounts import token_for
from tests import factories as f
from tests.helpers import assert_constant_queries, client_for


@pytest.mark.django_db
class TestAuthentication:
    def test_missing_token_is_401(self, world):
        response = client_for().get("/api/users/")
        assert response.status_code == 401
        assert "detail" in response.json()

    def test_unknown_token_is_401(self, world):
        client = client_for()
        client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
        assert client.get("/api/users/").status_code == 401

    def test_inactive_user_is_401(self, world):
        world.stranger.is_active = False
        world.stranger.save()
        assert client_for(world.stranger).get("/api/users/me/").status_code == 401

    def test_a_token_gives_its_user_and_itself_as_the_database_holds_them(self, world):
        """referee.api.authentication builds both from one kept statement, as DRF's select_related
        would: every column of the user, the token's key and time, and no query for `token.user`."""
        world.stranger.first_name = "Ünïcode"
        world.stranger.save()
        key = token_for(world.stranger)
        for _ in range(2):  # compiled, then kept
            with CaptureQueriesContext(connection) as queries:
                user, token = TokenAuthentication().authenticate_credentials(key)
                assert token.user is user
            assert len(queries) == 1
        stored = Token.objects.select_related("user").get(key=key)
        assert (token.key, token.user_id, token.created) == (stored.key, stored.user_id, stored.created)
        assert {f.attname: getattr(user, f.attname) for f in type(user)._meta.concrete_fields} == {
            f.attname: getattr(stored.user, f.attname) for f in type(user)._meta.concrete_fields}
        assert not user._state.adding and user._state.db == stored.user._state.db

    def test_password_login_returns_the_token(self, world):
        world.stranger.set_password("s3cret-pass")
        world.stranger.save()
        response = client_for().post("/api-auth/password/", {"username": "stranger", "password": "s3cret-pass"}, format="json")
        assert response.status_code == 200
        assert len(response.json()["token"]) == 40
        bad = client_for().post("/api-auth/password/", {"username": "stranger", "password": "nope"}, format="json")
        assert bad.status_code == 401


@pytest.mark.django_db
class TestPagination:
    def test_headers_and_bare_array(self, world):
        for _ in range(25):
            f.customer()
        response = client_for(world.staff).get("/api/customers/", {"page_size": 10, "page": 2})
        assert response.status_code == 200
        assert isinstance(response.json(), list) and len(response.json()) == 10
        assert response["X-Result-Count"] == "25"
        link = response["Link"]
        assert 'rel="first"' in link and 'rel="prev"' in link and 'rel="next"' in link and 'rel="last"' in link
        assert link.startswith("<http://testserver/api/customers/?page_size=10>")

    def test_head_has_headers_and_no_body(self, world):
        f.customer()
        response = client_for(world.staff).head("/api/customers/")
        assert response.status_code == 200
        assert response["X-Result-Count"] == "1"
        assert response.content == b""

    def test_page_past_end_is_404_and_page_size_clamped(self, world):
        for _ in range(3):
            f.customer()
        client = client_for(world.staff)
        assert client.get("/api/customers/", {"page": 5}).status_code == 404
        assert len(client.get("/api/customers/", {"page_size": 100000}).json()) == 3

    def test_commas_in_link_are_percent_encoded(self, world):
        for _ in range(12):
            f.customer()
        link = client_for(world.staff).get("/api/customers/", {"o": "name,created"})["Link"]
        assert "o=name%2Ccreated" in link

    def test_unknown_ordering_key_is_400_naming_o(self, world):
        response = client_for(world.staff).get("/api/customers/", {"o": "bogus"})
        assert response.status_code == 400
        assert "o" in response.json()

    def test_list_query_count_is_constant(self, world):
        f.customer()
        assert_constant_queries(client_for(world.staff), "/api/customers/", lambda: [f.customer() for _ in range(30)])


@pytest.mark.django_db
class TestUsers:
    def test_uuid_hex_and_absolute_url(self, world):
        body = client_for(world.stranger).get("/api/users/me/").json()
        assert body["uuid"] == world.stranger.uuid.hex
        assert body["url"] == f"http://testserver/api/users/{world.stranger.uuid.hex}/"
        assert len(body["token"]) == 40

    def test_hyphenated_uuid_in_path_and_non_uuid_is_404(self, world):
        client = client_for(world.staff)
        assert client.get(f"/api/users/{world.stranger.uuid}/").status_code == 200
        assert client.get(f"/api/users/{str(world.stranger.uuid).upper()}/").status_code == 200
        assert client.get("/api/users/not-a-uuid/").status_code == 404

    def test_plain_user_sees_only_themselves(self, world):
        client = client_for(world.stranger)
        assert [u["username"] for u in client.get("/api/users/").json()] == ["stranger"]
        assert client.get(f"/api/users/{world.staff.uuid.hex}/").status_code == 404

    def test_support_reads_everything_and_writes_nothing(self, world):
        client = client_for(world.support)
        assert client.head("/api/users/")["X-Result-Count"] == str(7)
        assert client.patch(f"/api/users/{world.support.uuid.hex}/", {"first_name": "X"}, format="json").status_code == 403
        assert client.post("/api/users/", {"username": "new"}, format="json").status_code == 403
        assert client.patch(f"/api/users/{'0' * 32}/", {"first_name": "X"}, format="json").status_code == 404

    def test_unrouted_method_is_405(self, world):
        assert client_for(world.staff).delete(f"/api/users/{world.stranger.uuid.hex}/").status_code == 405

    def test_malformed_json_and_oversized_body_are_400(self, world):
        client = client_for(world.stranger)
        url = f"/api/users/{world.stranger.uuid.hex}/"
        response = client.generic("PATCH", url, "{not json", content_type="application/json")
        assert response.status_code == 400 and "detail" in response.json()
        big = '{"first_name": "' + "x" * (1024 * 1024 + 10) + '"}'
        response = client.generic("PATCH", url, big, content_type="application/json")
        assert response.status_code == 400 and "detail" in response.json()
