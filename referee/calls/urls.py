from referee.calls.views import AssignmentConfigurationViewSet, CallViewSet, ProposalViewSet


def register(router):
    router.register("proposal-protected-calls", CallViewSet, basename="call")
    router.register("proposal-proposals", ProposalViewSet, basename="proposal")
    router.register("call-assignment-configurations", AssignmentConfigurationViewSet, basename="call-assignment-configuration")
