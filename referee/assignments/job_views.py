"""Matching jobs on the API (issue 13): `/api/matching-jobs/` (list, detail, `cancel/`) and the
call actions that start them, `start-affinity-job/`, `start-generation-job/` and
`start-comparison-job/`, which answer
202 with the pending job at once; the work runs in a background worker.

Visible to the call's managers, support and staff (`ManagedCallRowsQuerySet`); started and
cancelled by managers and staff. The synchronous `compute-affinities/` and `generate-assignments/`
stay as Waldur's client knows them."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from referee.api.filters import MultipleChoiceFilter
from referee.api.permissions import CanManageMatchingJob, require_manager
from referee.api.viewsets import RefereeViewSet
from referee.assignments import matching_jobs
from referee.assignments.job_serializers import (
    MatchingJobSerializer,
    StartComparisonJobSerializer,
    StartGenerationJobSerializer,
)
from referee.assignments.models import MatchingJob
from referee.conflicts.filters import JOB_ORDERING


class MatchingJobFilter(django_filters.FilterSet):
    call_uuid = django_filters.UUIDFilter(field_name="call__uuid")
    kind = django_filters.ChoiceFilter(choices=MatchingJob.Kind.choices)
    state = MultipleChoiceFilter(choices=MatchingJob.State)

    class Meta:
        model = MatchingJob
        fields = []


def with_details(queryset):
    """Everything the job serializer reads, in the list's one query."""
    return queryset.select_related("call", "created_by")


class MatchingJobViewSet(mixins.RetrieveModelMixin, RefereeViewSet):
    """Read, and cancel: jobs are started by the call actions below."""

    queryset = MatchingJob.objects
    serializer_class = MatchingJobSerializer
    filterset_class = MatchingJobFilter
    ordering_fields = JOB_ORDERING
    ordering = ["-created"]
    action_permissions = {"cancel": [CanManageMatchingJob]}

    def get_queryset(self):
        return with_details(super().get_queryset())

    @extend_schema(request=None, responses=MatchingJobSerializer, operation_id="matching_jobs_cancel")
    @action(detail=True, methods=["post"])
    def cancel(self, request, uuid=None):
        """Pending or running → cancelled: the work stops at its next step and writes nothing. A
        finished job is refused (400)."""
        job = matching_jobs.cancel_job(self.get_object(), user=request.user)
        return Response(self.get_serializer(with_details(MatchingJob.objects).get(pk=job.pk)).data)


class MatchingJobCallActions:
    """Mixed into the call viewset (`self.get_object()` is the call)."""

    def _accepted(self, job) -> Response:
        # A worker may already have taken it (or, where tasks run eagerly, finished it) after commit.
        fresh = with_details(MatchingJob.objects).get(pk=job.pk)
        return Response(MatchingJobSerializer(fresh, context=self.get_serializer_context()).data,
                        status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: MatchingJobSerializer},
                   operation_id="proposal_protected_calls_start_affinity_job")
    @action(detail=True, methods=["post"], url_path="start-affinity-job")
    def start_affinity_job(self, request, *args, **kwargs):
        """Queue `compute-affinities/` as a background job: 202 with the job; 503 without a worker."""
        call = self.get_object()
        require_manager(request, call)
        return self._accepted(matching_jobs.start_affinity_job(call, user=request.user))

    @extend_schema(request=StartGenerationJobSerializer, responses={202: MatchingJobSerializer},
                   operation_id="proposal_protected_calls_start_generation_job")
    @action(detail=True, methods=["post"], url_path="start-generation-job")
    def start_generation_job(self, request, *args, **kwargs):
        """Queue `generate-assignments/` as a background job, a preview unless `dry_run` is false:
        202 with the job; its `result` is the generation's answer once completed."""
        call = self.get_object()
        require_manager(request, call)
        data = self.validated(StartGenerationJobSerializer, context={"config": call.matching_config})
        return self._accepted(matching_jobs.start_generation_job(call, user=request.user, **data))

    @extend_schema(request=StartComparisonJobSerializer, responses={202: MatchingJobSerializer},
                   operation_id="proposal_protected_calls_start_comparison_job")
    @action(detail=True, methods=["post"], url_path="start-comparison-job")
    def start_comparison_job(self, request, *args, **kwargs):
        """Run the three algorithms on the call's candidates as a background job: 202 with the job;
        its `result` holds each algorithm's figures once completed. Nothing else is written."""
        call = self.get_object()
        require_manager(request, call)
        data = self.validated(StartComparisonJobSerializer, context={"config": call.matching_config})
        return self._accepted(matching_jobs.start_comparison_job(call, user=request.user, **data))

