"""Signing in and out of the pages (issue 12): the form, its refusals beside the fields, the
redirect back to the page that asked, and sign-out by POST only."""

import pytest

from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann():
    user = f.user("ann")
    user.set_password("a long enough passphrase")
    user.save()
    return user


def test_the_sign_in_page_labels_every_field(client):
    html = client.get("/login/").content.decode()
    assert '<label for="id_username">' in html and '<label for="id_password">' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_signing_in_returns_to_the_page_that_asked(client, ann):
    response = client.post("/login/", {"username": "ann", "password": "a long enough passphrase", "next": "/login/?x"})
    assert response.status_code == 302 and response["Location"] == "/login/?x"
    assert client.session["_auth_user_id"] == str(ann.pk)


def test_a_wrong_password_is_refused_on_the_form_without_saying_which_part_was_wrong(client, ann):
    response = client.post("/login/", {"username": "ann", "password": "wrong"})
    assert response.status_code == 400 and "_auth_user_id" not in client.session
    assert 'class="error" role="alert">Please enter a correct username and password.' in response.content.decode()


def test_signing_out_takes_a_post(client, ann):
    client.force_login(ann)
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302 and "_auth_user_id" not in client.session


def test_a_page_fragment_asked_without_a_session_sends_the_whole_window_to_sign_in(client):
    """htmx asks for a fragment of the page the reviewer had open; the session has ended meanwhile."""
    response = client.post("/reviews/assignments/", HTTP_HX_REQUEST="true",
                           HTTP_HX_CURRENT_URL="http://testserver/reviews/assignments/?page=2")
    assert response.status_code == 200 and response["HX-Redirect"] == "/login/?next=/reviews/assignments/%3Fpage%3D2"
    assert client.get("/reviews/assignments/")["Location"] == "/login/?next=/reviews/assignments/"
