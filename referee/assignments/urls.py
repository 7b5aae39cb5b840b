from referee.assignments.views import AssignmentBatchViewSet, MyAssignmentBatchViewSet


def register(router):
    router.register("assignment-batches", AssignmentBatchViewSet, basename="assignment-batch")
    router.register("my-assignment-batches", MyAssignmentBatchViewSet, basename="my-assignment-batch")
