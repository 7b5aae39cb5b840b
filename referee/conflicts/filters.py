"""Query filters and ordering keys of the conflict and detection-job lists (§3.5, §3.7, §3.8)."""

import django_filters
from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from referee.api.filters import MultipleChoiceFilter
from referee.calls.models import COI_TYPES
from referee.conflicts.models import COIDetectionJob, ConflictOfInterest
from referee.core.querysets import full_name_contains
from referee.reviewers.models import ReviewerProfile

COI_ORDERING = {"detected_at": "detected_at", "severity": "severity", "status": "status", "created": "created"}
COI_DEFAULT_ORDERING = ["-detected_at"]
JOB_ORDERING = {"created": "created", "started_at": "started_at", "completed_at": "completed_at", "state": "state"}


def profiles_with_alternative_name(fragment: str):
    """Ids of profiles one of whose `alternative_names` contains `fragment` (case-insensitive).

    The JSON array is unnested by the database, so a fragment never matches across two names or
    the JSON punctuation, and non-ASCII names compare as text (SQLite stores them escaped)."""
    table = ReviewerProfile._meta.db_table
    pattern = "%" + fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if connection.vendor == "postgresql":
        sql = (f"SELECT p.id FROM {table} p CROSS JOIN LATERAL jsonb_array_elements_text("
               "CASE WHEN jsonb_typeof(p.alternative_names) = 'array' THEN p.alternative_names ELSE '[]' END"
               ") AS n(name) WHERE n.name ILIKE %s")
    else:
        sql = f"SELECT p.id FROM {table} p, json_each(p.alternative_names) n WHERE n.value LIKE %s ESCAPE '\\'"
    return RawSQL(sql, (pattern,))


class CallConflictFilter(django_filters.FilterSet):
    """The call action `conflicts/` (§3.5)."""

    status = MultipleChoiceFilter(choices=ConflictOfInterest.Status)
    severity = MultipleChoiceFilter(choices=ConflictOfInterest.Severity)
    coi_type = MultipleChoiceFilter(choices=COI_TYPES)

    class Meta:
        model = ConflictOfInterest
        fields = []


class ConflictFilter(CallConflictFilter):
    """`/api/conflicts-of-interest/` (§3.7)."""

    call_uuid = django_filters.UUIDFilter(field_name="call__uuid")
    proposal_uuid = django_filters.UUIDFilter(field_name="proposal__uuid")
    round_uuid = django_filters.UUIDFilter(field_name="proposal__round__uuid")
    reviewer_uuid = django_filters.UUIDFilter(field_name="reviewer__uuid")
    reviewer_name = django_filters.CharFilter(method="filter_reviewer_name")
    detection_method = MultipleChoiceFilter(choices=ConflictOfInterest.Method)

    def filter_reviewer_name(self, queryset, name, value):
        # The full name as rendered (`User.full_name`: first + last, else the username) or an
        # alternative name of the profile.
        aliases, named = full_name_contains("reviewer__user", value)
        return queryset.alias(**aliases).filter(named | Q(reviewer_id__in=profiles_with_alternative_name(value)))


class DetectionJobFilter(django_filters.FilterSet):
    call_uuid = django_filters.UUIDFilter(field_name="call__uuid")
    job_type = django_filters.ChoiceFilter(choices=COIDetectionJob.JobType.choices)
    state = MultipleChoiceFilter(choices=COIDetectionJob.State)

    class Meta:
        model = COIDetectionJob
        fields = []
