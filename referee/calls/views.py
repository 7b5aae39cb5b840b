"""Calls with their rounds and configurations, proposals, assignment configurations (§3.4, §3.5, §3.12)."""

from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from referee.api.permissions import (
    CanChangeCallManagers,
    CanCreateCall,
    CanEditProposal,
    CanManageAssignmentConfiguration,
    CanManageCall,
    CanSubmitProposal,
    require,
    require_manager,
)
from referee.api.viewsets import RefereeViewSet, parse_uuid
from referee.assignments.call_actions import AssignmentCallActions
from referee.calls import domain
from referee.calls.filters import AssignmentConfigurationFilter, CallFilter, ProposalFilter
from referee.calls.models import Call, CallAssignmentConfiguration, Proposal, Round
from referee.calls.serializers import (
    AssignmentConfigurationSerializer,
    CallSerializer,
    COIConfigurationSerializer,
    MatchingConfigurationSerializer,
    ProposalCreateSerializer,
    ProposalSerializer,
    ProposalUpdateSerializer,
    RoundSerializer,
    proposal_queryset,
)
from referee.conflicts.call_actions import ConflictCallActions
from referee.core.models import User
from referee.reviewers.call_actions import PoolCallActions

ROUND_ORDERING = {"start_time": "start_time", "cutoff_time": "cutoff_time", "name": "name", "created": "created"}
OBJ_UUID = OpenApiParameter("obj_uuid", str, OpenApiParameter.PATH, description="The round's UUID.")
# Actions that render the call itself; the others (mostly the mixins') only need the row.
RENDERING_ACTIONS = {"list", "retrieve", "create", "update", "partial_update"}


class CallViewSet(
    PoolCallActions,
    AssignmentCallActions,
    ConflictCallActions,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    RefereeViewSet,
):
    """`/api/proposal-protected-calls/`: staff create; call managers update (`managers`: staff only)."""

    queryset = Call.objects
    serializer_class = CallSerializer
    filterset_class = CallFilter
    ordering_fields = {
        "name": "name", "created": "created", "state": "state", "manager__customer__name": "manager__name",
    }
    ordering = ["-created"]
    action_permissions = {"create": [CanCreateCall], "update": [CanManageCall], "partial_update": [CanManageCall]}

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action in RENDERING_ACTIONS:
            queryset = queryset.select_related("manager").prefetch_related(
                "rounds", Prefetch("managers", queryset=User.objects.only("id", "uuid"))
            )
        return queryset

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.action != "list":
            # Call actions list other resources (rounds, pool entries, conflicts, ...): the call
            # filters and ordering must not reach them. Such actions use `list_of`.
            self.filterset_class, self.ordering_fields = None, None

    def list_of(self, queryset, serializer_class, *, filterset_class=None, ordering_fields=None, ordering=(), **context):
        """Paginate a list served by a call action with that list's own filters and `o` keys."""
        self.filterset_class, self.ordering_fields, self.ordering = filterset_class, ordering_fields, list(ordering)
        return self.paginated(queryset, serializer_class, **context)

    def render(self, call):
        return self.get_serializer(self.get_queryset().get(pk=call.pk)).data

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        managers = fields.pop("managers", ())
        call = domain.create_call(managers=managers, actor=request.user, **fields)
        return Response(self.render(call), status=201)

    def update(self, request, *args, partial=False, **kwargs):
        call = self.get_object()
        if isinstance(request.data, dict) and "managers" in request.data:
            require(request, CanChangeCallManagers, call)
        serializer = self.get_serializer(call, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        managers = changes.pop("managers", None)
        call = domain.update_call(call, actor=request.user, changes=changes, managers=managers)
        return Response(self.render(call))

    # --- rounds --------------------------------------------------------------------------------

    @extend_schema(methods=["GET"], responses=RoundSerializer(many=True))
    @extend_schema(methods=["POST"], request=RoundSerializer, responses=RoundSerializer)
    @action(detail=True, methods=["get", "post"])
    def rounds(self, request, uuid=None):
        call = self.get_object()
        context = self.get_serializer_context()
        if request.method == "POST":
            require_manager(request, call)
            data = self.validated(RoundSerializer, context=context)
            round_ = domain.create_round(call, actor=request.user, **data)
            return Response(RoundSerializer(round_, context=context).data)  # 200: the client's code
        rounds = Round.objects.visible_to(request.user).filter(call=call).select_related("call").annotate(
            has_proposals=Exists(Proposal.objects.filter(round=OuterRef("pk")))
        )
        return self.list_of(rounds, RoundSerializer, ordering_fields=ROUND_ORDERING, ordering=["start_time"])

    @extend_schema(methods=["GET"], parameters=[OBJ_UUID], responses=RoundSerializer)
    @extend_schema(methods=["PATCH"], parameters=[OBJ_UUID], request=RoundSerializer, responses=RoundSerializer)
    @action(detail=True, methods=["get", "patch"], url_path=r"rounds/(?P<obj_uuid>[^/]+)", url_name="round-detail")
    def round_detail(self, request, uuid=None, obj_uuid=None):
        call = self.get_object()
        rounds = Round.objects.visible_to(request.user).filter(call=call, uuid=parse_uuid(obj_uuid))
        round_ = rounds.select_related("call").first()
        if round_ is None:
            raise Http404
        context = self.get_serializer_context()
        if request.method == "PATCH":
            require_manager(request, call)
            serializer = RoundSerializer(round_, data=request.data, partial=True, context=context)
            serializer.is_valid(raise_exception=True)
            round_ = domain.update_round(round_, actor=request.user, changes=serializer.validated_data)
        return Response(RoundSerializer(round_, context=context).data)

    # --- configurations (§3.5) -----------------------------------------------------------------

    def _configuration(self, request, serializer_class, current, update):
        """GET for managers and support, PATCH for managers: partial, validated, then the domain."""
        call = self.get_object()
        require_manager(request, call)
        config = current(call)
        context = self.get_serializer_context()
        if request.method == "PATCH":
            serializer = serializer_class(config, data=request.data, partial=True, context=context)
            serializer.is_valid(raise_exception=True)
            config = update(call, actor=request.user, changes=serializer.validated_data)
        return Response(serializer_class(config, context=context).data)

    @extend_schema(methods=["GET"], responses=MatchingConfigurationSerializer)
    @extend_schema(methods=["PATCH"], request=MatchingConfigurationSerializer, responses=MatchingConfigurationSerializer)
    @action(detail=True, methods=["get", "patch"], url_path="matching-configuration")
    def matching_configuration(self, request, uuid=None):
        return self._configuration(
            request, MatchingConfigurationSerializer, lambda call: call.matching_config,
            domain.update_matching_configuration,
        )

    @extend_schema(methods=["GET"], responses=COIConfigurationSerializer)
    @extend_schema(methods=["PATCH"], request=COIConfigurationSerializer, responses=COIConfigurationSerializer)
    @action(detail=True, methods=["get", "patch"], url_path="coi-configuration")
    def coi_configuration(self, request, uuid=None):
        return self._configuration(
            request, COIConfigurationSerializer, lambda call: call.coi_config, domain.update_coi_configuration
        )


class AssignmentConfigurationViewSet(mixins.RetrieveModelMixin, mixins.UpdateModelMixin, RefereeViewSet):
    """`/api/call-assignment-configurations/` (§3.4): made with the call, so no POST or DELETE."""

    queryset = CallAssignmentConfiguration.objects
    serializer_class = AssignmentConfigurationSerializer
    filterset_class = AssignmentConfigurationFilter
    ordering_fields = {"created": "created", "call_name": "call__name"}
    ordering = ["-created"]
    action_permissions = {
        "update": [CanManageAssignmentConfiguration], "partial_update": [CanManageAssignmentConfiguration],
    }

    def get_queryset(self):
        return super().get_queryset().select_related("call")

    def perform_update(self, serializer):
        serializer.instance = domain.update_assignment_configuration(
            serializer.instance, actor=self.request.user, changes=serializer.validated_data
        )


class ProposalViewSet(mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, RefereeViewSet):
    """`/api/proposal-proposals/`: full text for managers, team and active reviewers; pool members
    read what the call discloses (see `serializers.proposals`)."""

    queryset = Proposal.objects
    serializer_class = ProposalSerializer
    filterset_class = ProposalFilter
    ordering_fields = {
        "created": "created", "slug": "slug", "state": "state", "name": "name",
        "round__call__name": "call__name", "round__start_time": "round__start_time",
        "round__cutoff_time": "round__cutoff_time",
    }
    ordering = ["-created"]
    counted_list = True
    action_permissions = {
        "update": [CanEditProposal], "partial_update": [CanEditProposal], "submit": [CanSubmitProposal],
    }

    def get_queryset(self):
        return proposal_queryset(super().get_queryset(), listed=self.action == "list")

    def render(self, proposal):
        return self.get_serializer(self.get_queryset().get(pk=proposal.pk)).data

    @extend_schema(request=ProposalCreateSerializer, responses={201: ProposalSerializer})
    def create(self, request, *args, **kwargs):
        data = self.validated(ProposalCreateSerializer, context=self.get_serializer_context())
        proposal = domain.create_proposal(actor=request.user, **data)
        return Response(self.render(proposal), status=201)

    @extend_schema(request=ProposalUpdateSerializer, responses=ProposalSerializer)
    def update(self, request, *args, partial=False, **kwargs):
        proposal = self.get_object()
        data = self.validated(ProposalUpdateSerializer, partial=partial, context=self.get_serializer_context())
        changes = dict(data)
        team = changes.pop("team", None)
        proposal = domain.update_proposal(proposal, actor=request.user, changes=changes, team=team)
        return Response(self.render(proposal))

    @extend_schema(request=ProposalUpdateSerializer, responses=ProposalSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(request=None, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, uuid=None):
        proposal = domain.submit_proposal(self.get_object(), actor=request.user)
        return Response(self.render(proposal))
