"""Serializers of the calls app, one module per resource."""

from referee.calls.serializers.calls import CallSerializer, NestedRoundSerializer, RoundSerializer
from referee.calls.serializers.configurations import (
    AssignmentConfigurationSerializer,
    COIConfigurationSerializer,
    MatchingConfigurationSerializer,
)
from referee.calls.serializers.proposals import (
    ProposalCreateSerializer,
    ProposalSerializer,
    ProposalUpdateSerializer,
    proposal_queryset,
)

__all__ = [
    "AssignmentConfigurationSerializer", "COIConfigurationSerializer", "CallSerializer",
    "MatchingConfigurationSerializer", "NestedRoundSerializer", "ProposalCreateSerializer",
    "ProposalSerializer", "ProposalUpdateSerializer", "RoundSerializer", "proposal_queryset",
]
