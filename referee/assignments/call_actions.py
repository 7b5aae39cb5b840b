"""Assignment actions on a call: `/api/proposal-protected-calls/{uuid}/<action>/` (§3.5).

Mixed into the call viewset; each action finds the call through the viewset's own visibility
(`get_object`: unknown or invisible → 404), then requires a manager (403), then validates."""

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from referee.api.permissions import require_manager
from referee.assignments import domain
from referee.assignments.csv_actions import CsvImportCallActions
from referee.assignments.engine_actions import EngineCallActions
from referee.assignments.job_views import MatchingJobCallActions
from referee.assignments.serializers import ManualAssignmentResultSerializer, ManualAssignmentSerializer


class AssignmentCallActions(CsvImportCallActions, EngineCallActions, MatchingJobCallActions):
    """Manual assignment here; the engine's actions (generation, affinities, send-all) come
    from `EngineCallActions`, their background jobs from `MatchingJobCallActions`, the CSV import
    from `CsvImportCallActions`."""

    @extend_schema(request=ManualAssignmentSerializer, responses=ManualAssignmentResultSerializer,
                   operation_id="proposal_protected_calls_create_manual_assignment")  # the client's name
    @action(detail=True, methods=["post"], url_path="create-manual-assignment")
    def create_manual_assignment(self, request, *args, **kwargs):
        call = self.get_object()
        require_manager(request, call)
        data = self.validated(ManualAssignmentSerializer)
        result = domain.create_manual_assignment(call, actor=request.user, **data)
        return Response(ManualAssignmentResultSerializer(result).data)
