"""Query filters of the batch lists (§3.1, §3.2). Bad values answer 400 naming the parameter
(django-filter's form errors); `sent_after`/`sent_before` are inclusive bounds on `sent_at`."""

import django_filters

from referee.api.filters import IsoDateTimeFilter, MultipleChoiceFilter
from referee.assignments.models import AssignmentBatch
from referee.assignments.querysets import REVIEWER_VISIBLE_BATCH_STATUSES

# `o` of `/api/assignment-batches/` and of the console's Batches tab.
BATCH_ORDERING = {"created": "created", "sent_at": "sent_at", "expires_at": "expires_at", "status": "status"}


class AssignmentBatchFilter(django_filters.FilterSet):
    call_uuid = django_filters.UUIDFilter(field_name="call__uuid")
    reviewer_uuid = django_filters.UUIDFilter(field_name="reviewer_pool_entry__reviewer__uuid")
    reviewer_pool_entry_uuid = django_filters.UUIDFilter(field_name="reviewer_pool_entry__uuid")
    status = MultipleChoiceFilter(choices=AssignmentBatch.Status)
    source = MultipleChoiceFilter(choices=AssignmentBatch.Source)
    sent_after = IsoDateTimeFilter(field_name="sent_at", lookup_expr="gte")
    sent_before = IsoDateTimeFilter(field_name="sent_at", lookup_expr="lte")

    class Meta:
        model = AssignmentBatch
        fields = []


class MyAssignmentBatchFilter(django_filters.FilterSet):
    """`status` defaults to sent (the seed's "pending" batches); naming statuses widens it."""

    status = MultipleChoiceFilter(
        choices=[(s, AssignmentBatch.Status(s).label) for s in REVIEWER_VISIBLE_BATCH_STATUSES]
    )

    class Meta:
        model = AssignmentBatch
        fields = []

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(status=AssignmentBatch.Status.SENT)
        return super().filter_queryset(queryset)
