"""Query filters and ordering keys of `/api/proposal-reviews/` (§3.11)."""

import django_filters

from referee.api.filters import MultipleChoiceFilter
from referee.reviews.models import Review

REVIEW_ORDERING = {"created": "created", "state": "state"}


class ReviewFilter(django_filters.FilterSet):
    call_uuid = django_filters.UUIDFilter(field_name="call__uuid")
    proposal_uuid = django_filters.UUIDFilter(field_name="proposal__uuid")
    reviewer_uuid = django_filters.UUIDFilter(field_name="reviewer__uuid")  # the user
    round_uuid = django_filters.UUIDFilter(field_name="proposal__round__uuid")
    state = MultipleChoiceFilter(choices=Review.State)

    class Meta:
        model = Review
        fields = []
