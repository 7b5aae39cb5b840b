"""List filters of calls, proposals and assignment configurations (§1 Lists, §3.4, §3.12).

Besides the contract's filters, the cheap ones the client sends (`customer_uuid`,
`has_active_round`, `round`, `created_by_uuid`, `organization_uuid`, `my_proposals`, `slug`) work too."""

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from referee.api.filters import BooleanFilter, MultipleChoiceFilter
from referee.calls.models import Call, CallAssignmentConfiguration, Proposal, Round
from referee.calls.querysets import team_proposals


class CallFilter(django_filters.FilterSet):
    state = MultipleChoiceFilter(choices=Call.State)
    name = django_filters.CharFilter(lookup_expr="icontains")
    slug = django_filters.CharFilter()
    manager_uuid = django_filters.UUIDFilter(field_name="manager__uuid")
    customer_uuid = django_filters.UUIDFilter(field_name="manager__uuid")
    has_active_round = BooleanFilter(method="filter_has_active_round")

    class Meta:
        model = Call
        fields = []

    def filter_has_active_round(self, queryset, name, value):
        now = timezone.now()
        active = Exists(Round.objects.filter(call=OuterRef("pk"), start_time__lte=now, cutoff_time__gt=now))
        return queryset.filter(active if value else ~active)


class ProposalFilter(django_filters.FilterSet):
    call_uuid = django_filters.UUIDFilter(field_name="call__uuid")
    round_uuid = django_filters.UUIDFilter(field_name="round__uuid")
    round = django_filters.UUIDFilter(field_name="round__uuid")
    state = MultipleChoiceFilter(choices=Proposal.State)
    name = django_filters.CharFilter(lookup_expr="icontains")
    slug = django_filters.CharFilter()
    created_by_uuid = django_filters.UUIDFilter(field_name="created_by__uuid")
    organization_uuid = django_filters.UUIDFilter(field_name="organization__uuid")
    my_proposals = BooleanFilter(method="filter_my_proposals")

    class Meta:
        model = Proposal
        fields = []

    def filter_my_proposals(self, queryset, name, value):
        user = self.request.user
        mine = Q(created_by=user) | Q(pk__in=team_proposals(user))
        return queryset.filter(mine if value else ~mine)


class AssignmentConfigurationFilter(django_filters.FilterSet):
    call_uuid = django_filters.UUIDFilter(field_name="call__uuid")

    class Meta:
        model = CallAssignmentConfiguration
        fields = []
