"""Field groups that many resources render alike: the call, reviewer profile and proposal a row
belongs to, as link, hex uuid and name (CONTRACT §1, "Related objects").

Mixed into a serializer's bases (`class XSerializer(CallFields, ReviewerFields, ModelSerializer)`);
the serializer's `Meta.fields` still says which keys it renders and in what order, and a field
declared again on the serializer (another source, a default) takes precedence. Each group's
`COLUMNS` are what its fields read, as `only()` names, for the lists that select only what their
rows show."""

from rest_framework import serializers

from referee.api.fields import LinkField, NameField, RelatedUUIDField
from referee.api.queries import person_columns


class CallFields(serializers.Serializer):
    call = LinkField("proposal-protected-calls")
    call_uuid = RelatedUUIDField(source="call")
    call_name = NameField(source="call.name")

    COLUMNS = ("call__uuid", "call__name")


class ReviewerFields(serializers.Serializer):
    """The row's reviewer profile (`reviewer` is a ReviewerProfile)."""

    reviewer = LinkField("reviewer-profiles")
    reviewer_uuid = RelatedUUIDField(source="reviewer")
    reviewer_name = NameField(source="reviewer.user.full_name")

    COLUMNS = ("reviewer__uuid", *person_columns("reviewer__user"))


class ProposalFields(serializers.Serializer):
    proposal = LinkField("proposal-proposals")
    proposal_uuid = RelatedUUIDField(source="proposal")
    proposal_name = NameField(source="proposal.name")

    COLUMNS = ("proposal__uuid", "proposal__name")
