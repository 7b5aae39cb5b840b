"""`POST /api/proposal-protected-calls/{uuid}/import-assignments/` (issue 13, an addition to §3.5):
manual assignments from CSV text, through `csv_import.import_assignments`, the function the
console's CSV page calls. Mixed into the call viewset through `AssignmentCallActions`."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from referee.api.permissions import require_manager
from referee.assignments.csv_import import MAX_FILE_BYTES, ImportRefused, import_assignments
from referee.core.errors import FieldError


class ImportAssignmentsSerializer(serializers.Serializer):
    csv = serializers.CharField(max_length=MAX_FILE_BYTES, trim_whitespace=False, help_text=(
        "The CSV file's text: a header naming proposal_uuid and reviewer_email (other columns are ignored, so "
        "the console's assignments export can be edited and sent back), then one line per pair to assign."))
    dry_run = serializers.BooleanField(default=False, help_text="Check every line and write nothing.")
    override_workload_limit = serializers.BooleanField(default=False)


class ImportRowSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The line of the file (the header is line 1).")
    proposal_uuid = serializers.CharField(source="proposal_key")
    reviewer_email = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["assign", "unchanged", "error"])
    message = serializers.CharField(help_text="Why a line is refused or unchanged, in words; may be empty.")


class ImportCountsSerializer(serializers.Serializer):
    assign = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    error = serializers.IntegerField()


class ImportResultSerializer(serializers.Serializer):
    applied = serializers.BooleanField()
    items_created = serializers.IntegerField()
    counts = ImportCountsSerializer()
    rows = ImportRowSerializer(many=True)


class CsvImportCallActions:
    @extend_schema(request=ImportAssignmentsSerializer,
                   # 400 stays the generic BadRequest: a refused file is `{"csv": [message]}`, refused
                   # lines are `{"detail", "applied", "items_created", "counts", "rows"}` (the
                   # 200 body with `detail`); one schema for both would match neither exactly.
                   responses={200: ImportResultSerializer},
                   operation_id="proposal_protected_calls_import_assignments")
    @action(detail=True, methods=["post"], url_path="import-assignments")
    def import_assignments(self, request, *args, **kwargs):
        """Each line's outcome; unless `dry_run`, all lines are assigned in one transaction, or none
        if any line is refused: 400 with `detail` and every line's outcome (the 200 body's keys). A
        file that cannot be read is a 400 on `csv`."""
        call = self.get_object()
        require_manager(request, call)
        data = self.validated(ImportAssignmentsSerializer)
        try:
            plan = import_assignments(call, data["csv"].encode(), actor=request.user, dry_run=data["dry_run"],
                                      override_workload_limit=data["override_workload_limit"])
        except FieldError as refused:
            raise FieldError("csv" if refused.field == "file" else refused.field, refused.message) from None
        except ImportRefused as refused:
            body = ImportResultSerializer(refused.plan).data
            return Response({"detail": refused.message, **body}, status=400)
        return Response(ImportResultSerializer(plan).data)
