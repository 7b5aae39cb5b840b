"""Reviewer bids as the client models them (§3.9) and the bodies of their actions."""

from rest_framework import serializers

from referee.api.fields import DisplayField, HexUUIDField
from referee.api.parts import CallFields, ProposalFields, ReviewerFields
from referee.api.rows import ModelSerializer
from referee.reviewers.models import ReviewerBid

MAX_COMMENT = 2000
MAX_BIDS = 1000


# What a listed bid shows of its row and its four related rows.
LIST_COLUMNS = (*CallFields.COLUMNS, *ReviewerFields.COLUMNS, *ProposalFields.COLUMNS, "uuid", "created", "modified",
                "bid", "comment")


def with_bid_details(queryset, listed: bool = False):
    queryset = queryset.select_related("call", "reviewer__user", "proposal")
    return queryset.only(*LIST_COLUMNS) if listed else queryset


class ReviewerBidSerializer(CallFields, ReviewerFields, ProposalFields, ModelSerializer):
    """Client `ReviewerBid` (no `url`): `submitted_at` is the creation, `modified_at` the last change."""

    uuid = HexUUIDField(read_only=True)
    bid_display = DisplayField("bid")
    submitted_at = serializers.DateTimeField(source="created", read_only=True)
    modified_at = serializers.DateTimeField(source="modified", read_only=True)

    class Meta:
        model = ReviewerBid
        fields = ["uuid", "call", "call_uuid", "reviewer", "reviewer_uuid", "reviewer_name", "proposal",
                  "proposal_uuid", "proposal_name", "bid", "bid_display", "submitted_at", "modified_at", "comment"]
        read_only_fields = fields


class BidSubmitSerializer(serializers.Serializer):
    """Client `ReviewerBidSubmitRequest`."""

    proposal_uuid = HexUUIDField()
    bid = serializers.ChoiceField(choices=ReviewerBid.Bid.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT)


class BulkBidSerializer(serializers.Serializer):
    """Client `ReviewerBulkBidRequest`. Only the shape is checked here; each bid is validated
    alone by the view, so that one bad bid is reported without refusing the others."""

    bids = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=MAX_BIDS)


class BidUpdateSerializer(serializers.Serializer):
    """PUT/PATCH body: `bid` and `comment`; the proposal of a bid never changes (`proposal` ignored)."""

    bid = serializers.ChoiceField(choices=ReviewerBid.Bid.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT)


class BulkBidResponseSerializer(serializers.Serializer):
    submitted = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.CharField(), allow_null=True)
