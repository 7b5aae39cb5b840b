"""`/api/proposed-assignments/` (§3.5): the generation preview rows, read-only.

Visible to staff and support, and to the managers of the row's call; everyone else gets an
empty list and 404 on a detail (reviewers never see what was only proposed)."""

import django_filters
from rest_framework import mixins

from referee.api.viewsets import RefereeViewSet
from referee.assignments.engine_serializers import (
    ProposedAssignmentFilter,
    ProposedAssignmentSerializer,
    proposed_queryset,
)
from referee.assignments.models import ProposedAssignment


class ProposedAssignmentListFilter(ProposedAssignmentFilter):
    call_uuid = django_filters.UUIDFilter(field_name="call__uuid")


class ProposedAssignmentViewSet(mixins.RetrieveModelMixin, RefereeViewSet):
    queryset = ProposedAssignment.objects
    serializer_class = ProposedAssignmentSerializer
    filterset_class = ProposedAssignmentListFilter
    counted_list = True

    def get_queryset(self):
        return proposed_queryset(super().get_queryset(), listed=self.action == "list")
