from referee.assignments.item_views import AssignmentItemViewSet
from referee.assignments.job_views import MatchingJobViewSet
from referee.assignments.proposed_views import ProposedAssignmentViewSet
from referee.assignments.views import AssignmentBatchViewSet, MyAssignmentBatchViewSet


def register(router):
    router.register("assignment-batches", AssignmentBatchViewSet, basename="assignment-batch")
    router.register("assignment-items", AssignmentItemViewSet, basename="assignment-item")
    router.register("my-assignment-batches", MyAssignmentBatchViewSet, basename="my-assignment-batch")
    router.register("proposed-assignments", ProposedAssignmentViewSet, basename="proposed-assignment")
    router.register("matching-jobs", MatchingJobViewSet, basename="matching-job")
