from referee.reviews.views import ProposalReviewViewSet


def register(router):
    router.register("proposal-reviews", ProposalReviewViewSet, basename="proposal-review")
