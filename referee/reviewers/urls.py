from referee.reviewers.views import (
    AffiliationViewSet,
    CallReviewerPoolViewSet,
    ExpertiseViewSet,
    PublicationViewSet,
    ReviewerProfileViewSet,
)

# Nested rows of a profile are explicit routes under the profile (no nested-router dependency).
PROFILE = r"reviewer-profiles/(?P<reviewer_profile_uuid>[^/.]+)"


def register(router):
    router.register("reviewer-profiles", ReviewerProfileViewSet, basename="reviewer-profile")
    router.register(f"{PROFILE}/affiliations", AffiliationViewSet, basename="reviewer-profile-affiliation")
    router.register(f"{PROFILE}/expertise", ExpertiseViewSet, basename="reviewer-profile-expertise")
    router.register(f"{PROFILE}/publications", PublicationViewSet, basename="reviewer-profile-publication")
    router.register("call-reviewer-pools", CallReviewerPoolViewSet, basename="call-reviewer-pool")
