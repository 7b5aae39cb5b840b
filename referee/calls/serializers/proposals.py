"""Proposals (client `Proposal`), §3.12, with the reviewer disclosure of §3.2.

Visibility (the queryset) decides *whether* a proposal is listed; `calls.disclosure` decides *how
much* of it a caller reads. It is computed once per page, so a list costs the same number of
queries whatever its length."""

from operator import itemgetter

from django.db.models import OuterRef, Subquery
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from referee.api.fields import NIL_UUID, HexUUIDField, LinkField, NameField, RelatedUUIDField
from referee.api.queries import attach_values, person_columns
from referee.api.rows import ModelSerializer
from referee.calls.disclosure import ProposalDisclosure, readable_by
from referee.calls.enums import CallState
from referee.calls.models import Proposal, Round
from referee.calls.serializers.calls import NestedRoundSerializer
from referee.calls.serializers.refs import RefField, UserRefListField, parse_ref
from referee.core.models import Customer, User

# Client-mandatory keys of Waldur's proposal that this service does not model (§3.12).
NEUTRAL = {
    "project_name": "", "supporting_documentation": [], "approved_by": None, "project": None,
    "applicant_registration_method": "", "applicant_phone_number": "", "applicant_organization_country": "",
    "applicant_organization_type": "", "applicant_organization_registry_code": "",
    "applicant_organization_vat_code": "", "applicant_organization_address": None, "applicant_job_title": "",
    "applicant_affiliations": [], "applicant_gender": None, "applicant_personal_title": "",
    "applicant_place_of_birth": "", "applicant_address": "", "applicant_country_of_residence": "",
    "applicant_nationality": "", "applicant_nationalities": [], "applicant_eduperson_assurance": [],
    "applicant_identity_source": "", "applicant_civil_number": None, "applicant_birth_date": None,
    "applicant_active_isds": [], "oecd_fos_2007_label": "", "science_sub_domain_name": "",
    "science_domain_uuid": NIL_UUID, "science_domain_name": "", "allocation_comment": None,
    "compliance_status": None, "awaiting_manual_advance": False, "decision_held": None, "workflow_step": None,
}
# Who wrote a proposal and who is on its team is shown only to full readers.
PERSONAL = {
    "created_by": None, "created_by_name": "", "created_by_uuid": NIL_UUID, "team_uuids": [],
    "applicant_username": "", "applicant_full_name": "", "applicant_first_name": "", "applicant_last_name": "",
    "applicant_email": "", "applicant_organization": "",
}


# The columns a listed proposal's rendering and disclosure read (`proposal_queryset(listed=True)`):
# of the 59 that its five related rows had, a user's password, flags and dates, a call's settings
# and the customers' details were read, converted and stored on every page for nothing.
LIST_COLUMNS = (
    "uuid", "created", "slug", "name", "project_summary", "description", "state", "round", "call", "created_by",
    "organization",
    *(f"round__{name}" for name in ("uuid", "slug", "name", "start_time", "cutoff_time", "review_duration_in_days")),
    "call__uuid", "call__name", "call__manager__uuid",
    *person_columns("created_by"), "created_by__email",
    "organization__uuid", "organization__name",
)


def proposal_queryset(queryset, listed: bool = False):
    """What rendering a proposal reads with it (only that, for a list: `LIST_COLUMNS`); its team
    comes from `attach_teams`."""
    queryset = queryset.select_related("round", "call__manager", "created_by", "organization")
    return queryset.only(*LIST_COLUMNS) if listed else queryset


# (proposal id, member's uuid) in the order they joined; filtered per page, never read whole.
TEAM_MEMBERS = Proposal.team.through.objects.order_by("pk").values_list(
    "proposal_id", Subquery(User.objects.filter(pk=OuterRef("user_id")).values("uuid")))


def attach_teams(proposals) -> None:
    """Set each proposal's `team_rows`: its team members' uuids in the order they joined, in one
    query for any number of proposals (none for those that have them). Read as values: a
    prefetch of User rows built about 200 model instances a page only for their uuids. Each
    uuid is a subquery of the user's primary key: joined, PostgreSQL hashed all users for a
    page's 200 members (3.7 ms; 1.4 as a subquery)."""
    attach_values(proposals, "team_rows", TEAM_MEMBERS, "proposal_id", itemgetter(1))


class ProposalListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        proposals = list(data.all() if hasattr(data, "all") else data)
        self.context["disclosures"] = readable_by(self.context["request"].user, proposals)
        attach_teams(proposals)
        return super().to_representation(proposals)


@extend_schema_field({
    "type": "object",
    "properties": {"can_submit": {"type": "boolean"}, "error": {"type": "string", "nullable": True}},
})
class CanSubmitField(serializers.ReadOnlyField):
    def to_representation(self, state):
        return {"can_submit": state == Proposal.State.DRAFT, "error": None}


class ProposalSerializer(ModelSerializer):
    url = LinkField("proposal-proposals", source="*")
    uuid = HexUUIDField(read_only=True)
    round = NestedRoundSerializer(read_only=True)
    call_uuid = HexUUIDField(source="call.uuid", read_only=True)
    call_name = serializers.CharField(source="call.name", read_only=True)
    call_managing_organisation_uuid = RelatedUUIDField(nil=True, source="call.manager")
    created_by = LinkField("users")
    created_by_name = NameField(source="created_by.full_name", default="")
    created_by_uuid = RelatedUUIDField(nil=True, source="created_by")
    team_uuids = serializers.ListField(child=HexUUIDField(), source="team_rows", read_only=True)  # attach_teams
    organization_uuid = RelatedUUIDField(source="organization")
    can_submit = CanSubmitField(source="state")

    class Meta:
        model = Proposal
        list_serializer_class = ProposalListSerializer
        fields = [
            "url", "uuid", "slug", "name", "project_summary", "description", "state", "round", "call_uuid",
            "call_name", "call_managing_organisation_uuid", "created_by", "created_by_name", "created_by_uuid",
            "created", "team_uuids", "organization_uuid", "can_submit",
        ]
        read_only_fields = fields

    def disclosure(self, proposal) -> ProposalDisclosure:
        known = self.context.get("disclosures") or {}
        if proposal.pk not in known:
            known = readable_by(self.context["request"].user, [proposal])
        return known[proposal.pk]

    def to_representation(self, proposal):
        attach_teams([proposal])  # a page's are attached by the list, at once
        data = super().to_representation(proposal)
        creator = proposal.created_by
        data.update(NEUTRAL)
        data.update(
            applicant_username=creator.username if creator else "",
            applicant_full_name=creator.full_name if creator else "",
            applicant_first_name=creator.first_name if creator else "",
            applicant_last_name=creator.last_name if creator else "",
            applicant_email=creator.email if creator else "",
            applicant_organization=proposal.organization.name if proposal.organization else "",
        )
        shown = self.disclosure(proposal)
        if not shown.full:  # a pool member (§3.2): the text the call discloses, nobody's name
            data["project_summary"] = shown.summary_of(proposal)
            data["description"] = shown.description_of(proposal)
            data.update(PERSONAL)
        return data


class _ProposalInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    project_summary = serializers.CharField(max_length=100_000, required=False, allow_blank=True)
    description = serializers.CharField(max_length=100_000, required=False, allow_blank=True)
    organization_uuid = RefField(
        Customer.objects, "customers", "Customer", required=False, allow_null=True, source="organization"
    )
    team_uuids = UserRefListField(required=False, source="team")


class ProposalCreateSerializer(_ProposalInputSerializer):
    """Client `ProposalRequest`: the round by `round_uuid`, or by `round` (a uuid or link)."""

    round_uuid = serializers.CharField(required=False)
    round = serializers.CharField(required=False)

    def validate(self, attrs):
        given = [field for field in ("round_uuid", "round") if attrs.get(field)]
        if not given:
            raise serializers.ValidationError({"round_uuid": ["This field is required."]})
        field = given[0]
        key = parse_ref(attrs[field])
        for name in ("round_uuid", "round"):
            attrs.pop(name, None)
        round_ = Round.objects.select_related("call").filter(uuid=key).first() if key else None
        if round_ is None:
            raise serializers.ValidationError({field: ["Round not found."]})
        if round_.call.state != CallState.ACTIVE:
            raise serializers.ValidationError({field: ["Proposals can only be created in rounds of active calls."]})
        attrs["round"] = round_
        return attrs


class ProposalUpdateSerializer(_ProposalInputSerializer):
    """Creator (draft only) or call manager; only managers may set `state` (the domain decides)."""

    state = serializers.ChoiceField(choices=Proposal.State.choices, required=False)
