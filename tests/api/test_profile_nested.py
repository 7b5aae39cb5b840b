"""`/api/reviewer-profiles/{reviewer_profile_uuid}/affiliations|expertise|publications/` (§3.10)."""

import pytest
from waldur_api_client.models import ReviewerAffiliation, ReviewerExpertise, ReviewerPublication

from referee.core.models import AuditEvent
from tests import factories as f
from tests.helpers import as_role, assert_constant_queries, client_for, role_matrix

KINDS = {
    "affiliations": (ReviewerAffiliation, {"organization_name": "University of Tartu"}, {"department": "CS"}),
    "expertise": (ReviewerExpertise, {"expertise_keyword": "Graph theory"}, {"years_experience": 4}),
    "publications": (ReviewerPublication, {"title": "On graphs", "publication_year": 2021, "venue": "JGT"},
                     {"abstract": "Graphs."}),
}
# The world's reviewer profile is unpublished and accepted in `call`: its manager sees it, others don't.
READS = {"anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 200, "manager": 200,
         "support": 200, "staff": 200}
WRITES = {"anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 200, "manager": 403,
          "support": 403, "staff": 200}


def url(profile, kind, obj=None):
    base = f"/api/reviewer-profiles/{profile.uuid.hex}/{kind}/"
    return f"{base}{obj}/" if obj else base


def create(world, kind, **body):
    response = client_for(world.reviewer).post(url(world.profile, kind), {**KINDS[kind][1], **body}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
class TestRoles:
    @role_matrix(READS)
    def test_list_and_detail(self, world, kind, role, expected):
        item = create(world, kind)
        client = as_role(world, role)
        listed = client.get(url(world.profile, kind))
        assert listed.status_code == expected
        shown = client.get(url(world.profile, kind, item["uuid"]))
        assert shown.status_code == expected
        if expected == 200:
            model = KINDS[kind][0]
            assert [model.from_dict(row).uuid.hex for row in listed.json()] == [item["uuid"]]
            assert model.from_dict(shown.json()).uuid.hex == item["uuid"]

    @role_matrix({**WRITES, "reviewer": 201, "staff": 201})
    def test_create(self, world, kind, role, expected):
        response = as_role(world, role).post(url(world.profile, kind), KINDS[kind][1], format="json")
        assert response.status_code == expected, response.content
        if expected == 201:
            KINDS[kind][0].from_dict(response.json())

    @role_matrix(WRITES)
    def test_update_and_delete(self, world, kind, role, expected):
        item = create(world, kind)
        client = as_role(world, role)
        target = url(world.profile, kind, item["uuid"])
        patched = client.patch(target, KINDS[kind][2], format="json")
        assert patched.status_code == expected
        put = client.put(target, KINDS[kind][1], format="json")
        assert put.status_code == expected
        if expected == 200:
            KINDS[kind][0].from_dict(patched.json())
            KINDS[kind][0].from_dict(put.json())
        deleted = client.delete(target)
        assert deleted.status_code == (204 if expected == 200 else expected)

    def test_unknown_parent_and_foreign_rows_are_404(self, world, kind):
        item = create(world, kind)
        other = f.profile(f.user(), is_published=True)
        staff, support = client_for(world.staff), client_for(world.support)
        assert staff.get(url(other, kind, item["uuid"])).status_code == 404
        assert staff.get(f"/api/reviewer-profiles/nope/{kind}/").status_code == 404
        assert support.post(f"/api/reviewer-profiles/{'0' * 32}/{kind}/", {}, format="json").status_code == 404
        hyphenated = f"/api/reviewer-profiles/{world.profile.uuid}/{kind}/{item['uuid']}/"
        assert staff.get(hyphenated).status_code == 200

    def test_list_query_count_is_constant(self, world, kind):
        create(world, kind)

        def add_rows():
            for n in range(10):
                body = {"expertise_keyword": f"k{n}", "title": f"T{n}", "organization_name": f"O{n}"}
                create(world, kind, **{key: value for key, value in body.items() if key in KINDS[kind][1]})

        assert_constant_queries(client_for(world.manager), url(world.profile, kind), add_rows)

    def test_writes_are_audited(self, world, kind):
        item = create(world, kind)
        client_for(world.reviewer).delete(url(world.profile, kind, item["uuid"]))
        events = set(AuditEvent.objects.values_list("event_type", flat=True))
        assert {e.rsplit("_", 1)[1] for e in events if e.startswith("REVIEWER_")} == {"CREATED", "DELETED"}


@pytest.mark.django_db
class TestAffiliations:
    def test_defaults_and_organization_copy(self, world):
        org = f.customer("CERN")
        body = create(world, "affiliations", organization_name="", organization=str(org.uuid))
        assert body["organization"] == org.uuid.hex
        assert body["organization_name"] == body["organization_name_display"] == "CERN"
        assert body["affiliation_type"] == "employment" and body["end_date"] is None
        named = create(world, "affiliations")
        assert named["organization"] is None and named["organization_name_display"] == "University of Tartu"

    def test_validation(self, world):
        client = client_for(world.reviewer)
        target = url(world.profile, "affiliations")
        response = client.post(target, {"department": "CS"}, format="json")
        assert response.json() == {"non_field_errors": ["Either organization or organization_name must be provided."]}
        response = client.post(target, {"organization": "0" * 32}, format="json")
        assert response.status_code == 400 and "organization" in response.json()
        response = client.post(target, {"organization": "junk"}, format="json")
        assert response.status_code == 400 and "organization" in response.json()
        dates = {"organization_name": "X", "start_date": "2020-01-01", "end_date": "2019-01-01"}
        assert client.post(target, dates, format="json").json() == {"end_date": ["End date cannot be before start date."]}
        assert "affiliation_type" in client.post(target, {"organization_name": "X", "affiliation_type": "boss"},
                                                 format="json").json()
        assert "start_date" in client.post(target, {"organization_name": "X", "start_date": "soon"}, format="json").json()

    def test_patch_checks_the_merged_state(self, world):
        item = create(world, "affiliations", start_date="2020-01-01")
        target = url(world.profile, "affiliations", item["uuid"])
        client = client_for(world.reviewer)
        response = client.patch(target, {"end_date": "2019-12-31"}, format="json")
        assert response.json() == {"end_date": ["End date cannot be before start date."]}
        response = client.patch(target, {"organization_name": ""}, format="json")
        assert response.status_code == 400 and "non_field_errors" in response.json()
        assert client.patch(target, {"end_date": "2021-01-01"}, format="json").json()["end_date"] == "2021-01-01"


@pytest.mark.django_db
class TestExpertise:
    def test_defaults_and_duplicate_keywords(self, world):
        item = create(world, "expertise")
        assert item["proficiency_level"] == "familiar" and item["expertise_category"] is None
        client = client_for(world.reviewer)
        target = url(world.profile, "expertise")
        duplicate = client.post(target, {"expertise_keyword": "GRAPH THEORY"}, format="json")
        assert duplicate.status_code == 400 and "expertise_keyword" in duplicate.json()
        # Renaming a keyword to another case of itself is not a duplicate.
        renamed = client.patch(url(world.profile, "expertise", item["uuid"]), {"expertise_keyword": "graph theory"},
                               format="json")
        assert renamed.status_code == 200 and renamed.json()["expertise_keyword"] == "graph theory"
        other = create(world, "expertise", expertise_keyword="Topology")
        clash = client.patch(url(world.profile, "expertise", other["uuid"]), {"expertise_keyword": "Graph Theory"},
                             format="json")
        assert clash.status_code == 400 and "expertise_keyword" in clash.json()

    def test_validation(self, world):
        client = client_for(world.reviewer)
        target = url(world.profile, "expertise")
        assert "expertise_keyword" in client.post(target, {}, format="json").json()
        assert "expertise_keyword" in client.post(target, {"expertise_keyword": " "}, format="json").json()
        assert "years_experience" in client.post(target, {"expertise_keyword": "a", "years_experience": 101},
                                                 format="json").json()
        assert "proficiency_level" in client.post(target, {"expertise_keyword": "a", "proficiency_level": "guru"},
                                                  format="json").json()


@pytest.mark.django_db
class TestPublications:
    def test_defaults_and_coauthors(self, world):
        coauthors = ["Ada Lovelace", {"name": "Charles Babbage", "orcid": "0000-0002-1825-0097"}, {"name": "X"}]
        item = create(world, "publications", coauthors=coauthors, external_ids={"pubmed": "123"})
        assert item["venue_type"] == "journal" and item["coauthors"] == coauthors and item["doi"] is None
        assert ReviewerPublication.from_dict(item).external_ids.additional_properties == {"pubmed": "123"}

    @pytest.mark.parametrize("coauthors", [
        "Ada", [""], [{"orcid": "0000-0002-1825-0097"}], [{"name": "A", "orcid": "12"}], [3], [["A"]],
    ])
    def test_bad_coauthors(self, world, coauthors):
        response = client_for(world.reviewer).post(
            url(world.profile, "publications"), {**KINDS["publications"][1], "coauthors": coauthors}, format="json")
        assert response.status_code == 400 and "coauthors" in response.json()

    def test_validation(self, world):
        client = client_for(world.reviewer)
        target = url(world.profile, "publications")
        missing = client.post(target, {}, format="json").json()
        assert "title" in missing and "publication_year" in missing
        assert "publication_year" in client.post(target, {"title": "T", "publication_year": 1800}, format="json").json()
        assert "venue_type" in client.post(target, {"title": "T", "publication_year": 2000, "venue_type": "blog"},
                                           format="json").json()
        assert "external_ids" in client.post(target, {"title": "T", "publication_year": 2000, "external_ids": [1]},
                                             format="json").json()
