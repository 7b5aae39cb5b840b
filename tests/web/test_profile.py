"""My profile (issue 12): who sees and changes what, in place and by plain POST, through the
domain functions of the profile API; query counts constant as the rows grow."""

import pytest

from referee.reviewers.models import ReviewerExpertise, ReviewerProfile, ReviewerPublication
from tests import factories as f
from tests.helpers import assert_constant_queries, role_matrix, role_user

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def signed_in(client, user):
    if user is not None:
        client.force_login(user)
    return client


def keyword(profile, word, **kwargs):
    return ReviewerExpertise.objects.create(profile=profile, expertise_keyword=word, **kwargs)


def publication(profile, title="On reviewing", **kwargs):
    return ReviewerPublication.objects.create(profile=profile, title=title, publication_year=2020, **kwargs)


@role_matrix({"anonymous": "login", "stranger": "create", "reviewer": "edit", "other_manager": "create",
              "manager": "create", "support": "read", "staff": "create"})
def test_the_page_for_every_role(client, world, role, expected):
    world.profile.biography = "Reviewer's own words"
    world.profile.save()
    response = signed_in(client, role_user(world, role)).get("/profile/")
    if expected == "login":
        assert response.status_code == 302 and response["Location"] == "/login/?next=/profile/"
        return
    html = response.content.decode()
    assert response.status_code == 200
    assert '<a href="/profile/" aria-current="page">My profile</a>' in html
    # Only one's own profile: the reviewer's biography is on the reviewer's page alone.
    assert ("Reviewer&#x27;s own words" in html) == (role == "reviewer")
    assert ("Create my profile" in html) == (expected == "create")
    assert ('name="csrfmiddlewaretoken"' in html.split("<main")[1]) == (expected != "read")


@role_matrix({"anonymous": 302, "stranger": 302, "support": 403, "staff": 302})
def test_creating_a_profile(client, world, role, expected):
    user = role_user(world, role)
    response = signed_in(client, user).post("/profile/", {"biography": "New here", "orcid_id": ""})
    assert response.status_code == expected
    if role == "anonymous":
        assert response["Location"].startswith("/login/")
    created = ReviewerProfile.objects.filter(biography="New here")
    assert [p.user for p in created] == ([user] if expected == 302 and user else [])


def test_editing_the_biography_in_place_and_by_plain_post(client, world):
    client.force_login(world.reviewer)
    response = client.post("/profile/", {"biography": "In place", "orcid_id": "0000-0002-1825-0097",
                                         "available_for_reviews": "on"}, **HTMX)
    assert response.status_code == 200 and "Profile saved." in response.content.decode()
    world.profile.refresh_from_db()
    assert (world.profile.biography, world.profile.orcid_id) == ("In place", "0000-0002-1825-0097")
    response = client.post("/profile/", {"biography": "Plain", "orcid_id": ""})
    assert response.status_code == 302 and response["Location"] == "/profile/"
    world.profile.refresh_from_db()
    assert (world.profile.biography, world.profile.orcid_id, world.profile.available_for_reviews) == ("Plain", None, False)


@pytest.mark.parametrize("orcid, message", [
    ("1234", "ORCID must be in format 0000-0000-0000-0000 (last character can be X)"),
    ("0000-0002-1825-0097", "A reviewer profile with this ORCID already exists."),
])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_refused_orcid_is_answered_beside_the_field_and_nothing_is_written(client, world, orcid, message, htmx):
    f.profile(world.stranger, orcid_id="0000-0002-1825-0097")
    client.force_login(world.reviewer)
    response = client.post("/profile/", {"biography": "Changed", "orcid_id": orcid}, **(HTMX if htmx else {}))
    assert response.status_code == 400
    assert f'id="id_orcid_id-error" role="alert">{message}' in response.content.decode()
    world.profile.refresh_from_db()
    assert (world.profile.biography, world.profile.orcid_id) == ("", None)


def test_the_career_stage_is_chosen_shown_and_cleared(client, world):
    """The diversity rules' career stage (issue 14), as `PATCH /api/reviewer-profiles/me/` takes it."""
    client.force_login(world.reviewer)
    html = client.get("/profile/").content.decode()
    assert '<option value="" selected>Not given</option>' in html and '<option value="postdoc">' in html
    response = client.post("/profile/", {"biography": "", "orcid_id": "", "career_stage": "postdoc"}, **HTMX)
    assert response.status_code == 200 and "Profile saved." in response.content.decode()
    world.profile.refresh_from_db()
    assert world.profile.career_stage == "postdoc"
    assert '<option value="postdoc" selected>' in client.get("/profile/").content.decode()
    response = client.post("/profile/", {"biography": "", "orcid_id": "", "career_stage": "emeritus"}, **HTMX)
    assert response.status_code == 400
    assert 'id="id_career_stage-error" role="alert">Select a valid choice.' in response.content.decode()
    client.post("/profile/", {"biography": "", "orcid_id": "", "career_stage": ""})
    world.profile.refresh_from_db()
    assert world.profile.career_stage == ""


def test_support_reads_the_career_stage_and_affiliation_country(client, world):
    f.profile(world.support, career_stage="senior").affiliations.create(organization_name="ETH", country="CH")
    client.force_login(world.support)
    html = client.get("/profile/").content.decode()
    assert "<dt>Career stage</dt><dd>Senior</dd>" in html
    assert 'ETH</strong>' in html and '<abbr title="Country (ISO 3166)">CH</abbr>' in html


def test_publishing_and_unpublishing(client, world):
    client.force_login(world.reviewer)
    response = client.post("/profile/publishing/", {"published": "1"}, **HTMX)
    assert response.status_code == 200 and "Profile published." in response.content.decode()
    world.profile.refresh_from_db()
    assert world.profile.is_published and world.profile.published_at
    assert client.post("/profile/publishing/", {"published": "0"}).status_code == 302
    world.profile.refresh_from_db()
    assert not world.profile.is_published
    assert client.post("/profile/publishing/", {"published": "yes"}).status_code == 400


def test_adding_an_expertise_keyword_in_place_then_its_duplicate_is_refused(client, world):
    client.force_login(world.reviewer)
    data = {"expertise-new-expertise_keyword": "Plasma physics", "expertise-new-proficiency_level": "expert",
            "expertise-new-years_experience": "7"}
    response = client.post("/profile/expertise/", data, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<section id="expertise"')
    assert "Plasma physics" in html and "Keyword added." in html
    data["expertise-new-expertise_keyword"] = "PLASMA physics"
    response = client.post("/profile/expertise/", data, **HTMX)
    assert response.status_code == 400
    assert ('id="id_expertise-new-expertise_keyword-error" role="alert">This expertise keyword is already in your '
            'profile.') in response.content.decode()
    assert [(e.expertise_keyword, e.proficiency_level, e.years_experience) for e in world.profile.expertise_set.all()] == [
        ("Plasma physics", "expert", 7)]


def test_an_affiliation_ending_before_it_starts_is_refused_beside_the_end_date(client, world):
    client.force_login(world.reviewer)
    data = {"affiliations-new-organization_name": "CERN", "affiliations-new-affiliation_type": "employment",
            "affiliations-new-start_date": "2020-01-01", "affiliations-new-end_date": "2019-01-01"}
    response = client.post("/profile/affiliations/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_affiliations-new-end_date-error" role="alert">End date cannot be before start date.' in html
    assert "<h1>My profile</h1>" in html  # the whole page, the form kept as typed
    assert not world.profile.affiliations.exists()
    data["affiliations-new-end_date"] = "2021-06-30"
    assert client.post("/profile/affiliations/", data).status_code == 302
    assert [(a.organization_name, str(a.end_date)) for a in world.profile.affiliations.all()] == [("CERN", "2021-06-30")]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_an_affiliation_country_is_kept_in_capitals_and_an_unknown_code_refused_beside_it(client, world, htmx):
    client.force_login(world.reviewer)
    data = {"affiliations-new-organization_name": "CNRS", "affiliations-new-affiliation_type": "employment",
            "affiliations-new-country": "XK"}
    response = client.post("/profile/affiliations/", data, **(HTMX if htmx else {}))
    assert response.status_code == 400
    assert ('id="id_affiliations-new-country-error" role="alert">Enter an ISO 3166-1 alpha-2 country code in '
            'capitals, such as DE or FR.') in response.content.decode()
    assert not world.profile.affiliations.exists()
    data["affiliations-new-country"] = "fr"
    assert client.post("/profile/affiliations/", data, **(HTMX if htmx else {})).status_code == (200 if htmx else 302)
    assert [(a.organization_name, a.country) for a in world.profile.affiliations.all()] == [("CNRS", "FR")]
    html = client.get("/profile/").content.decode()
    assert '<abbr title="Country (ISO 3166)">FR</abbr>' in html


def test_a_publication_added_edited_excluded_and_removed(client, world):
    client.force_login(world.reviewer)
    response = client.post("/profile/publications/", {
        "publications-new-title": "Fair matching", "publications-new-publication_year": "2024",
        "publications-new-venue_type": "journal"})
    assert response.status_code == 302 and response["Location"] == "/profile/#publications"
    paper = world.profile.publications.get()
    prefix = f"publications-{paper.uuid.hex}-"
    edit = client.get(f"/profile/publications/{paper.uuid}/edit/", **HTMX).content.decode()
    assert edit.lstrip().startswith(f'<li id="row-{paper.uuid.hex}"') and f'name="{prefix}title"' in edit
    response = client.post(f"/profile/publications/{paper.uuid}/edit/", {
        f"{prefix}title": "Fairer matching", f"{prefix}publication_year": "1800", f"{prefix}venue_type": "journal"}, **HTMX)
    assert response.status_code == 400 and "Ensure this value is greater than or equal to 1900." in response.content.decode()
    response = client.post(f"/profile/publications/{paper.uuid}/edit/", {
        f"{prefix}title": "Fairer matching", f"{prefix}publication_year": "2025", f"{prefix}venue_type": "preprint"}, **HTMX)
    assert response.status_code == 200 and "Publication saved." in response.content.decode()
    response = client.post(f"/profile/publications/{paper.uuid}/exclusion/", {"excluded": "1"}, **HTMX)
    assert "Publication left out of matching." in response.content.decode()
    paper.refresh_from_db()
    assert (paper.title, paper.publication_year, paper.venue_type, paper.is_excluded_from_matching) == (
        "Fairer matching", 2025, "preprint", True)
    assert client.post(f"/profile/publications/{paper.uuid}/exclusion/", {"excluded": "?"}).status_code == 400
    response = client.post(f"/profile/publications/{paper.uuid}/remove/", **HTMX)
    assert response.status_code == 200 and "Publication removed." in response.content.decode()
    assert not world.profile.publications.exists()


def test_editing_a_keyword_into_a_duplicate_is_refused_and_the_row_keeps_its_word(client, world):
    keyword(world.profile, "Optics")
    tagged = keyword(world.profile, "Lasers")
    client.force_login(world.reviewer)
    prefix = f"expertise-{tagged.uuid.hex}-"
    response = client.post(f"/profile/expertise/{tagged.uuid}/edit/", {
        f"{prefix}expertise_keyword": "optics", f"{prefix}proficiency_level": "basic"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "<h1>Edit keyword</h1>" in html
    assert f'id="id_{prefix}expertise_keyword-error" role="alert">This expertise keyword is already in your profile.' in html
    tagged.refresh_from_db()
    assert (tagged.expertise_keyword, tagged.proficiency_level) == ("Lasers", "familiar")


@role_matrix({"stranger": 404, "manager": 404, "support": 404, "staff": 404, "reviewer": 200})
def test_only_the_owner_reaches_a_row(client, world, role, expected):
    """Staff may change any profile through the API; this page is one's own profile only."""
    paper = publication(world.profile)
    client = signed_in(client, role_user(world, role))
    assert client.get(f"/profile/publications/{paper.uuid}/edit/").status_code == expected
    remove = client.post(f"/profile/publications/{paper.uuid}/remove/")
    assert remove.status_code == (302 if expected == 200 else 404)
    assert ReviewerPublication.objects.filter(pk=paper.pk).exists() == (expected != 200)


def test_support_reads_its_own_profile_and_changes_nothing(client, world):
    profile = f.profile(world.support, biography="Support's")
    paper = publication(profile)
    client.force_login(world.support)
    html = client.get("/profile/").content.decode()
    assert "Support&#x27;s" in html and "On reviewing" in html and "<form" not in html.split("<main")[1]
    for url, data in [("/profile/", {"biography": "x"}), ("/profile/publishing/", {"published": "1"}),
                      ("/profile/expertise/", {"expertise-new-expertise_keyword": "x"}),
                      (f"/profile/publications/{paper.uuid}/edit/", {}),
                      (f"/profile/publications/{paper.uuid}/exclusion/", {"excluded": "1"}),
                      (f"/profile/publications/{paper.uuid}/remove/", {})]:
        assert client.post(url, data).status_code == 403, url
    assert client.get(f"/profile/publications/{paper.uuid}/edit/").status_code == 403
    profile.refresh_from_db()
    assert profile.biography == "Support's" and not profile.is_published and profile.publications.count() == 1


def test_rows_need_a_profile_and_a_known_kind(client, world):
    client.force_login(world.stranger)
    assert client.post("/profile/expertise/", {"expertise-new-expertise_keyword": "x"}).status_code == 404
    client.force_login(world.reviewer)
    assert client.post("/profile/hobbies/", {}).status_code == 404


def test_the_page_query_count_is_constant_as_rows_grow(client, world):
    keyword(world.profile, "Optics")
    publication(world.profile)
    world.profile.affiliations.create(organization_name="CERN")
    client.force_login(world.reviewer)

    def add_rows():
        for n in range(8):
            keyword(world.profile, f"Keyword {n}")
            publication(world.profile, f"Paper {n}", is_excluded_from_matching=n % 2 == 0)
            world.profile.affiliations.create(organization_name=f"Institute {n}", is_primary=n == 0)

    assert_constant_queries(client, "/profile/", add_rows)


def test_without_javascript_a_row_is_edited_on_a_page_of_its_own(client, world):
    word = keyword(world.profile, "Optics")
    client.force_login(world.reviewer)
    html = client.get(f"/profile/expertise/{word.uuid}/edit/").content.decode()
    assert "<h1>Edit keyword</h1>" in html and 'value="Optics"' in html
    assert f'href="/profile/#row-{word.uuid.hex}"' in html  # Cancel goes back to the row
    assert client.get(f"/profile/expertise/{word.uuid}/")["Location"] == f"/profile/#row-{word.uuid.hex}"
    prefix = f"expertise-{word.uuid.hex}-"
    response = client.post(f"/profile/expertise/{word.uuid}/edit/", {
        f"{prefix}expertise_keyword": "Adaptive optics", f"{prefix}proficiency_level": "expert"})
    assert response["Location"] == f"/profile/#row-{word.uuid.hex}"
    word.refresh_from_db()
    assert (word.expertise_keyword, word.proficiency_level) == ("Adaptive optics", "expert")


def test_a_profile_is_not_created_with_a_taken_orcid(client, world):
    client.force_login(world.stranger)
    response = client.post("/profile/", {"biography": "Hello", "orcid_id": "0000-0002-1825-0097"})
    assert response.status_code == 302
    client.force_login(world.manager)
    response = client.post("/profile/", {"biography": "Me too", "orcid_id": "0000-0002-1825-0097"})
    assert response.status_code == 400
    assert 'id="id_orcid_id-error" role="alert">A reviewer profile with this ORCID already exists.' in (
        response.content.decode())
    assert not ReviewerProfile.objects.filter(user=world.manager).exists()


def test_an_unknown_row_is_404(client, world):
    client.force_login(world.reviewer)
    word = keyword(world.profile, "Optics")
    assert client.get(f"/profile/publications/{word.uuid}/edit/").status_code == 404  # a keyword, not a paper
    assert client.post("/profile/expertise/00000000-0000-0000-0000-000000000000/remove/").status_code == 404
