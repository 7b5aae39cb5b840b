"""`/api/reviewer-profiles/` (§3.10): visibility, representation, `me/`, publishing, owner writes."""

from datetime import timedelta

import pytest
from django.utils import timezone
from waldur_api_client.models import ReviewerProfile as ClientProfile
from waldur_api_client.models import ReviewerProfilesPublishResponse200, ReviewerProfilesUnpublishResponse200

from referee.core.models import AuditEvent
from referee.reviewers.models import ReviewerExpertise, ReviewerProfile
from referee.reviewers.queries import reviewer_stats
from referee.reviewers.serializers_profiles import ReviewerStatsSerializer
from referee.reviews.models import Review
from tests import factories as f
from tests.helpers import (
    as_role,
    assert_constant_queries,
    assert_listed_rows_read_only_what_they_show,
    client_for,
    role_matrix,
)

ORCID_MESSAGE = "ORCID must be in format 0000-0000-0000-0000 (last character can be X)"
LIST = "/api/reviewer-profiles/"
ME = "/api/reviewer-profiles/me/"


def detail(profile):
    return f"{LIST}{profile.uuid.hex}/"


def parse(body):
    return ClientProfile.from_dict(body)


# Who sees the world's reviewer profile (unpublished, accepted in `call`) and who may change it.
SEES = {"anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 200, "manager": 200,
        "support": 200, "staff": 200}
WRITES = {"anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 200, "manager": 403,
          "support": 403, "staff": 200}


@pytest.mark.django_db
class TestVisibility:
    @role_matrix(SEES)
    def test_detail_by_role(self, world, role, expected):
        response = as_role(world, role).get(detail(world.profile))
        assert response.status_code == expected
        if response.status_code == 200:
            assert parse(response.json()).uuid.hex == world.profile.uuid.hex

    def test_lists_by_role(self, world):
        published = f.profile(f.user("published"), is_published=True)
        hidden = f.profile(f.user("hidden"))
        f.pool_entry(world.call, hidden, status="pending")  # pending members stay hidden from managers

        def listed(user):
            return {item["uuid"] for item in client_for(user).get(LIST).json()}

        everyone = {world.profile.uuid.hex, published.uuid.hex, hidden.uuid.hex}
        assert listed(world.staff) == listed(world.support) == everyone
        assert listed(world.manager) == {world.profile.uuid.hex, published.uuid.hex}
        assert listed(world.other_manager) == {published.uuid.hex}
        assert listed(world.reviewer) == {world.profile.uuid.hex}
        assert listed(world.stranger) == set()
        assert client_for().get(LIST).status_code == 401

    def test_non_uuid_and_unknown_are_404_and_post_is_405(self, world):
        client = client_for(world.staff)
        assert client.get(f"{LIST}nope/").status_code == 404
        assert client.get(f"{LIST}{'0' * 32}/").status_code == 404
        assert client.post(LIST, {}, format="json").status_code == 405

    def test_list_query_count_is_constant(self, world):
        def add_rows():
            for n in range(5):
                profile = f.profile(f.user(), is_published=True, biography="Bio")
                profile.affiliations.create(organization_name=f"Org {n}")
                profile.expertise_set.create(expertise_keyword=f"topic {n}")
                profile.publications.create(title=f"Paper {n}", publication_year=2020, coauthors=["A B"])
                Review.objects.create(proposal=world.proposal, reviewer=profile.user, state="submitted", summary_score=5)

        assert_constant_queries(client_for(world.manager), LIST, add_rows, {"o": "user_name"})

    @pytest.mark.parametrize("role", ["staff", "manager", "reviewer"])
    def test_a_listed_row_reads_only_what_it_shows_and_equals_the_detail(self, world, role):
        """The list selects only the columns its rows show (views.LIST_COLUMNS: no user's password
        or flags); the detail reads whole rows, and each listed row equals it."""
        published = f.profile(f.user("pub", first_name="Ada", last_name=""), is_published=True, orcid_id=None)
        published.expertise_set.create(expertise_keyword="graphs")
        assert_listed_rows_read_only_what_they_show(
            client_for(getattr(world, role)), LIST, "reviewers_reviewerprofile",
            ["password", "is_superuser", "last_login", "time_zone"])


@pytest.mark.django_db
class TestRepresentation:
    def test_client_shape_stats_and_completeness(self, world):
        profile = world.profile
        profile.biography = "Graph theory"
        profile.save()
        profile.expertise_set.create(expertise_keyword="graphs", proficiency_level="expert")
        review = Review.objects.create(proposal=world.proposal, reviewer=world.reviewer, state="submitted",
                                       summary_score=7)
        Review.objects.filter(pk=review.pk).update(created=timezone.now() - timedelta(days=3))
        Review.objects.create(proposal=world.proposal2, reviewer=world.reviewer, state="in_review")
        batch = f.batch(world.entry, status="responded")
        f.item(batch, world.proposal2, status="declined")
        f.item(f.batch(world.entry, status="expired"), world.proposal, status="expired")

        body = client_for(world.reviewer).get(detail(profile)).json()
        parsed = parse(body)
        assert body["url"] == f"http://testserver{detail(profile)}"
        assert body["user_uuid"] == world.reviewer.uuid.hex
        assert parsed.orcid_connected is False and parsed.orcid_last_sync is None
        assert body["expertise_set"][0]["expertise_category"] is None
        assert body["expertise_set"][0]["expertise_category_name"] == ""
        stats = body["stats"]
        assert stats["uuid"] == profile.uuid.hex
        assert (stats["total_reviews_completed"], stats["total_reviews_declined"], stats["total_reviews_timeout"]) == (1, 1, 1)
        assert stats["average_score_given"] == 7.0
        assert stats["average_review_time_days"] == pytest.approx(3.0, abs=0.1)
        assert stats["last_review_date"] == timezone.now().date().isoformat()
        assert stats == ReviewerStatsSerializer(reviewer_stats([profile])[profile.pk]).data  # its declared shape
        completeness = body["profile_completeness"]
        assert completeness["missing_fields"] == ["orcid_id", "affiliations", "publications"]
        assert completeness["is_complete"] is False and completeness["percentage"] == 40

    def test_empty_stats(self, world):
        stats = client_for(world.reviewer).get(detail(world.profile)).json()["stats"]
        assert stats["total_reviews_completed"] == 0 and stats["average_score_given"] is None
        assert stats["last_review_date"] is None and stats["quality_rating_count"] == 0
        assert stats == ReviewerStatsSerializer(reviewer_stats([world.profile])[world.profile.pk]).data


@pytest.mark.django_db
class TestFiltersAndOrdering:
    @pytest.fixture
    def people(self, world):
        ada = f.profile(f.user("ada", first_name="Ada", last_name="Lovelace", email="ada@math.org"),
                        orcid_id="0000-0002-1825-0097")
        ReviewerExpertise.objects.create(profile=ada, expertise_keyword="Analytical Engines")
        bob = f.profile(f.user("bob", first_name="Bob", last_name="Babbage", email="bob@engines.org"))
        return ada, bob

    def names(self, client, **params):
        response = client.get(LIST, params)
        assert response.status_code == 200, response.content
        return [item["user_full_name"] for item in response.json()]

    def test_filters(self, world, people):
        ada, bob = people
        client = client_for(world.staff)
        assert self.names(client, user_uuid=ada.user.uuid.hex) == ["Ada Lovelace"]
        assert self.names(client, user_uuid=str(ada.user.uuid)) == ["Ada Lovelace"]
        assert self.names(client, orcid_id="0000-0002-1825-0097") == ["Ada Lovelace"]
        assert self.names(client, user_email="ENGINES") == ["Bob Babbage"]
        assert self.names(client, user_name="ada lov") == ["Ada Lovelace"]
        assert self.names(client, has_orcid="true") == ["Ada Lovelace"]
        assert "Ada Lovelace" not in self.names(client, has_orcid="false")
        assert self.names(client, expertise_keyword="engine") == ["Ada Lovelace"]

    def test_bad_filter_values_are_400_naming_the_parameter(self, world, people):
        client = client_for(world.staff)
        assert "user_uuid" in client.get(LIST, {"user_uuid": "zzz"}).json()
        assert "has_orcid" in client.get(LIST, {"has_orcid": "maybe"}).json()
        assert "o" in client.get(LIST, {"o": "orcid_id"}).json()

    def test_ordering(self, world, people):
        client = client_for(world.staff)
        names = self.names(client, o="user_name")
        assert names.index("Ada Lovelace") < names.index("Bob Babbage")
        assert self.names(client, o="-user_email") == ["Reviewer Tester", "Bob Babbage", "Ada Lovelace"]
        assert self.names(client)[0] == "Bob Babbage"  # default: newest first


@pytest.mark.django_db
class TestMe:
    def test_get_without_profile_is_404(self, world):
        response = client_for(world.stranger).get(ME)
        assert response.status_code == 404
        assert response.json() == {"detail": "Reviewer profile not found."}
        assert client_for(world.stranger).patch(ME, {"biography": "x"}, format="json").status_code == 404
        assert client_for().get(ME).status_code == 401

    def test_post_creates_then_updates_partially(self, world):
        client = client_for(world.stranger)
        body = {"orcid_id": "0000-0002-1694-233X", "biography": "Bio", "alternative_names": ["S. Tester"]}
        created = client.post(ME, body, format="json")
        assert created.status_code == 200, created.content
        parsed = parse(created.json())
        assert parsed.orcid_id == "0000-0002-1694-233X" and parsed.alternative_names == ["S. Tester"]
        assert parsed.available_for_reviews is True and parsed.is_published is False
        updated = client.post(ME, {"available_for_reviews": False}, format="json")
        assert updated.status_code == 200
        assert parse(updated.json()).biography == "Bio" and updated.json()["available_for_reviews"] is False
        assert ReviewerProfile.objects.filter(user=world.stranger).count() == 1
        assert AuditEvent.objects.filter(event_type="REVIEWER_PROFILE_CREATED").count() == 1

    def test_get_and_patch_own(self, world):
        client = client_for(world.reviewer)
        assert parse(client.get(ME).json()).uuid.hex == world.profile.uuid.hex
        response = client.patch(ME, {"biography": "New", "orcid_id": ""}, format="json")
        assert response.status_code == 200 and parse(response.json()).biography == "New"
        assert response.json()["orcid_id"] is None

    def test_validation(self, world):
        f.profile(world.stranger, orcid_id="0000-0002-1825-0097")
        client = client_for(world.reviewer)
        assert client.patch(ME, {"orcid_id": "1234"}, format="json").json() == {"orcid_id": [ORCID_MESSAGE]}
        assert client.post(ME, {"orcid_id": "0000-0002-1825-009x"}, format="json").json() == {"orcid_id": [ORCID_MESSAGE]}
        duplicate = client.patch(ME, {"orcid_id": "0000-0002-1825-0097"}, format="json")
        assert duplicate.status_code == 400 and "orcid_id" in duplicate.json()
        assert "alternative_names" in client.patch(ME, {"alternative_names": "Ada"}, format="json").json()
        assert "available_for_reviews" in client.patch(ME, {"available_for_reviews": "perhaps"}, format="json").json()
        assert client.generic("POST", ME, "[", content_type="application/json").status_code == 400

    def test_support_cannot_write(self, world):
        assert client_for(world.support).post(ME, {}, format="json").status_code == 403
        assert client_for(world.support).get(ME).status_code == 404


@pytest.mark.django_db
class TestPublish:
    def test_publish_and_unpublish_own(self, world):
        client = client_for(world.reviewer)
        response = client.post(f"{LIST}publish/", {}, format="json")
        assert response.status_code == 200
        assert ReviewerProfilesPublishResponse200.from_dict(response.json()).is_published is True
        world.profile.refresh_from_db()
        assert world.profile.is_published and world.profile.published_at is not None
        assert world.profile.uuid.hex in {p["uuid"] for p in client_for(world.other_manager).get(LIST).json()}
        response = client.post(f"{LIST}unpublish/", format="json")
        assert ReviewerProfilesUnpublishResponse200.from_dict(response.json()).is_published is False
        world.profile.refresh_from_db()
        assert not world.profile.is_published and world.profile.published_at is None
        events = AuditEvent.objects.filter(object_uuid=world.profile.uuid).values_list("event_type", flat=True)
        assert set(events) == {"REVIEWER_PROFILE_PUBLISHED", "REVIEWER_PROFILE_UNPUBLISHED"}

    @pytest.mark.parametrize("path", ["publish/", "unpublish/"])
    def test_without_profile_and_roles(self, world, path):
        response = client_for(world.stranger).post(f"{LIST}{path}", format="json")
        assert response.status_code == 400
        assert response.json() == {"detail": "You must create a reviewer profile first."}
        assert client_for().post(f"{LIST}{path}").status_code == 401
        assert client_for(world.support).post(f"{LIST}{path}").status_code == 403
        assert client_for(world.reviewer).get(f"{LIST}{path}").status_code == 405


@pytest.mark.django_db
class TestOwnerWrites:
    @role_matrix(WRITES)
    def test_patch_by_role(self, world, role, expected):
        response = as_role(world, role).patch(detail(world.profile), {"biography": "Edited"}, format="json")
        assert response.status_code == expected
        if response.status_code == 200:
            assert parse(response.json()).biography == "Edited"

    @role_matrix({**WRITES, "reviewer": 204, "staff": 204})
    def test_delete_by_role(self, world, role, expected):
        response = as_role(world, role).delete(detail(world.profile))
        assert response.status_code == expected
        assert ReviewerProfile.objects.filter(pk=world.profile.pk).exists() is (expected != 204)

    def test_put_validates_and_keeps_omitted_fields(self, world):
        world.profile.biography = "Kept"
        world.profile.save()
        client = client_for(world.reviewer)
        response = client.put(detail(world.profile), {"alternative_names": ["R. T."]}, format="json")
        assert response.status_code == 200
        assert parse(response.json()).biography == "Kept"
        bad = client.put(detail(world.profile), {"orcid_id": "0000-0000-0000-000A"}, format="json")
        assert bad.status_code == 400 and bad.json() == {"orcid_id": [ORCID_MESSAGE]}
        assert client.patch(detail(world.profile), {"biography": "x" * 10001}, format="json").status_code == 400

    def test_read_only_fields_are_ignored(self, world):
        response = client_for(world.reviewer).patch(detail(world.profile), {"is_published": True}, format="json")
        assert response.status_code == 200 and response.json()["is_published"] is False


@pytest.mark.django_db
def test_admin_pages_render(world, client):
    world.staff.is_superuser = True
    world.staff.save()
    client.force_login(world.staff)
    world.profile.affiliations.create(organization_name="Org")
    for path in ("reviewerprofile", "callreviewerpool"):
        assert client.get(f"/admin/reviewers/{path}/").status_code == 200
    assert client.get(f"/admin/reviewers/reviewerprofile/{world.profile.pk}/change/").status_code == 200
    assert client.get(f"/admin/reviewers/callreviewerpool/{world.entry.pk}/change/").status_code == 200
