"""Issue 14's data for the diversity rules, in the API (additive fields): a country (ISO 3166-1
alpha-2) on organisations and reviewer affiliations, a career stage on reviewer profiles."""

import pytest
from waldur_api_client.models import ReviewerAffiliation, ReviewerProfile

from referee.core.countries import MESSAGE
from tests import factories as f
from tests.helpers import client_for

ME = "/api/reviewer-profiles/me/"


def affiliations(world):
    return f"/api/reviewer-profiles/{world.profile.uuid.hex}/affiliations/"


@pytest.mark.django_db
class TestCountries:
    def test_an_affiliation_takes_a_country_code_or_none(self, world):
        client = client_for(world.reviewer)
        created = client.post(affiliations(world), {"organization_name": "KTH", "country": "SE"}, format="json")
        assert created.status_code == 201, created.content
        assert ReviewerAffiliation.from_dict(created.json()).additional_properties["country"] == "SE"
        unknown = client.post(affiliations(world), {"organization_name": "Somewhere"}, format="json").json()
        assert unknown["country"] == ""
        target = f"{affiliations(world)}{created.json()['uuid']}/"
        assert client.patch(target, {"country": "NO"}, format="json").json()["country"] == "NO"

    @pytest.mark.parametrize("code", ["XX", "de", "DEU", "Germany", 12])
    def test_anything_but_an_alpha_2_code_is_400_naming_the_field(self, world, code):
        client = client_for(world.reviewer)
        response = client.post(affiliations(world), {"organization_name": "X", "country": code}, format="json")
        assert response.status_code == 400
        assert "country" in response.json()
        assert world.profile.affiliations.count() == 0  # nothing half-written

    def test_an_organisation_shows_its_country(self, world):
        org = f.customer("CERN")
        org.country = "CH"
        org.save()
        body = client_for(world.staff).get(f"/api/customers/{org.uuid.hex}/").json()
        assert body["country"] == "CH"
        org.country = "Switzerland"
        with pytest.raises(Exception, match="alpha-2") as refused:
            org.full_clean()
        assert MESSAGE in str(refused.value)


@pytest.mark.django_db
class TestCareerStages:
    def test_a_profile_takes_a_career_stage(self, world):
        client = client_for(world.reviewer)
        assert client.get(ME).json()["career_stage"] == ""
        response = client.patch(ME, {"career_stage": "postdoc"}, format="json")
        assert response.status_code == 200
        assert ReviewerProfile.from_dict(response.json()).additional_properties["career_stage"] == "postdoc"
        world.profile.refresh_from_db()
        assert world.profile.career_stage == "postdoc"
        assert client.patch(ME, {"career_stage": ""}, format="json").json()["career_stage"] == ""

    def test_an_unknown_stage_is_400_naming_the_field(self, world):
        response = client_for(world.reviewer).patch(ME, {"career_stage": "professor"}, format="json")
        assert response.status_code == 400 and list(response.json()) == ["career_stage"]
        world.profile.refresh_from_db()
        assert world.profile.career_stage == ""
