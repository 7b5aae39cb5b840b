from referee.conflicts.views import COIDetectionJobViewSet, ConflictOfInterestViewSet
from referee.core.events import AuditEventViewSet
from referee.reviewers.bid_views import ReviewerBidViewSet


def register(router):
    router.register("conflicts-of-interest", ConflictOfInterestViewSet, basename="conflict-of-interest")
    router.register("coi-detection-jobs", COIDetectionJobViewSet, basename="coi-detection-job")
    # Registered here rather than in their apps' urls.py, which other work owns (see docs).
    router.register("reviewer-bids", ReviewerBidViewSet, basename="reviewer-bid")
    router.register("events", AuditEventViewSet, basename="audit-event")
