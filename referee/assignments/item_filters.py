"""Query filters and ordering keys of `/api/assignment-items/` (§3.3). Bad values answer 400
naming the parameter (django-filter's form errors)."""

import django_filters

from referee.api.filters import BooleanFilter, MultipleChoiceFilter
from referee.assignments.models import AssignmentItem

ITEM_ORDERING = {"created": "created", "affinity_score": "affinity_score", "status": "status",
                 "responded_at": "responded_at"}


class AssignmentItemFilter(django_filters.FilterSet):
    batch_uuid = django_filters.UUIDFilter(field_name="batch__uuid")
    call_uuid = django_filters.UUIDFilter(field_name="call__uuid")
    proposal_uuid = django_filters.UUIDFilter(field_name="proposal__uuid")
    reviewer_uuid = django_filters.UUIDFilter(field_name="pool_entry__reviewer__uuid")  # the profile
    status = MultipleChoiceFilter(choices=AssignmentItem.Status)
    has_coi = BooleanFilter(field_name="has_coi")
    min_affinity_score = django_filters.NumberFilter(field_name="affinity_score", lookup_expr="gte")

    class Meta:
        model = AssignmentItem
        fields = []
