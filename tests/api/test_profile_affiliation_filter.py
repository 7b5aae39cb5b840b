"""`GET /api/reviewer-profiles/?affiliation=` (issue 13, additive): a substring of an affiliation's
organisation or department, current or past; each profile once."""

import pytest

from referee.reviewers.models import ReviewerAffiliation
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_profiles_are_filtered_by_an_affiliations_organisation_or_department(world, api):
    grace = f.profile(f.user("grace"), is_published=True)
    ReviewerAffiliation.objects.create(profile=grace, organization_name="Navy Lab", department="Computing")
    ReviewerAffiliation.objects.create(profile=grace, organization_name="Yale Navy Club")
    f.profile(f.user("alan"), is_published=True)
    for value in ("navy", "COMPUTING"):
        listed = api(world.manager).get("/api/reviewer-profiles/", {"affiliation": value}).json()
        assert [row["uuid"] for row in listed] == [grace.uuid.hex]
