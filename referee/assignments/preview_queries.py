"""What the console's Assignments tab shows of a call's preview (issue 13): its pairs, a page of
proposals at a time, each pair with why it was chosen; and the numbers of its plots (each
proposal's total affinity, the reviewers' loads against their bounds, coverage), read from its
current rows so that they follow the manager's edits. Why a pair is
the engine's `explanations.explain_pairs`, asked once for the page's pairs.

Every query reads whole sets (the page's proposals, the call's rows grouped), so the count does
not grow with the preview."""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Sum

from referee.assignments.candidates import ACTIVE_ITEM, wanted_reviewers
from referee.assignments.enums import BatchStatus
from referee.assignments.explanations import PairExplanation, explain_pairs
from referee.assignments.models import AssignmentItem, DeployedGeneration, GenerationPreview, ProposedAssignment
from referee.assignments.workload import subquery_count, with_open_assignments
from referee.calls.models import Proposal
from referee.core.models import User
from referee.core.querysets import full_name_contains
from referee.reviewers.models import CallReviewerPool

PROPOSALS_PER_PAGE = 20
PAIRS_FOUND_PER_PAGE = 10


@dataclass
class PreviewPair:
    row: ProposedAssignment
    why: PairExplanation


@dataclass
class PreviewProposal:
    proposal: Proposal
    total: float
    pairs: list[PreviewPair]


@dataclass
class PreviewPage:
    preview: GenerationPreview
    page: object  # the Paginator page of proposal ids
    proposals: list[PreviewProposal]


@dataclass
class ReviewerLoad:
    entry_id: int
    entry_uuid: object
    name: str
    open_assignments: int
    previewed: int
    minimum: int
    maximum: int

    @property
    def load(self) -> int:
        return self.open_assignments + self.previewed


def current_preview(call) -> GenerationPreview | None:
    return GenerationPreview.objects.filter(call=call).first()


def preview_page(call, preview: GenerationPreview, number) -> PreviewPage:
    """One page of the preview's proposals (by name) with their pairs, best first."""
    rows = ProposedAssignment.objects.filter(call=call, is_deployed=preview.deployed_at is not None)
    if preview.deployed_at is not None:  # the rows this preview's deployment marked
        rows = rows.filter(deployed_at__range=(preview.created, preview.deployed_at))
    ids = (Proposal.objects.filter(id__in=rows.values("proposal_id")).order_by("name", "id")
           .values_list("id", flat=True))
    page = Paginator(ids, PROPOSALS_PER_PAGE).get_page(number)
    on_page = list(page.object_list)
    pairs = list(rows.filter(proposal_id__in=on_page).select_related("reviewer__user").order_by("proposal_id", "rank"))
    why = explain_pairs(call, [(r.proposal_id, r.reviewer_id) for r in pairs])
    proposals = Proposal.objects.in_bulk(on_page)
    grouped = {key: [] for key in on_page}
    for row in pairs:
        grouped[row.proposal_id].append(PreviewPair(row, why[(row.proposal_id, row.reviewer_id)]))
    return PreviewPage(preview, page, [
        PreviewProposal(proposals[key], round(sum(p.row.affinity_score for p in grouped[key]), 4), grouped[key])
        for key in on_page])


@dataclass
class ProposalCoverage:
    """A proposal the preview considers, by its current rows (edits included)."""

    name: str
    wanted: int  # reviewers the preview is to add: generation's demand (wanted less active items)
    previewed: int
    total: float  # the affinity of its previewed reviewers

    @property
    def short(self) -> bool:
        return self.previewed < self.wanted


def preview_coverage(call, preview: GenerationPreview, config) -> list[ProposalCoverage]:
    """Every proposal the undeployed `preview` considers (the open ones, or those it was asked
    for), by name, with its demand as generation computes it and its current preview rows: the
    plots read these, so they show the preview as edited, not as generated. Three queries, each
    one pass over the call's rows (a correlated subquery per proposal took 0.1 s at 3,000)."""
    proposals = Proposal.objects.filter(call=call).open_for_review()
    if preview.proposal_uuids is not None:
        proposals = proposals.filter(uuid__in=preview.proposal_uuids)
    rows = {key: (n, total) for key, n, total in ProposedAssignment.objects.filter(call=call, is_deployed=False)
            .values("proposal_id").annotate(n=Count("id"), total=Sum("affinity_score")).order_by()
            .values_list("proposal_id", "n", "total")}
    active = dict(AssignmentItem.objects.filter(ACTIVE_ITEM, batch__call=call).values("proposal_id")
                  .annotate(n=Count("id")).order_by().values_list("proposal_id", "n"))
    wanted = wanted_reviewers(config, preview.reviewers_per_proposal)
    coverage = []
    for key, name in proposals.order_by("name", "id").values_list("id", "name"):
        previewed, total = rows.get(key, (0, 0.0))
        coverage.append(ProposalCoverage(name, max(0, wanted - active.get(key, 0)), previewed, round(float(total), 4)))
    return coverage


def reviewer_loads(call, config) -> list[ReviewerLoad]:
    """Every accepted reviewer's load once the preview is deployed, against the bounds
    generation uses: the call's minimum and min(call maximum, their own max_assignments)."""
    previewed = ProposedAssignment.objects.filter(call=call, is_deployed=False, reviewer=OuterRef("reviewer"))
    entries = (with_open_assignments(CallReviewerPool.objects.filter(
        call=call, invitation_status=CallReviewerPool.Status.ACCEPTED))
        .annotate(previewed=subquery_count(previewed, "reviewer")).order_by("id"))
    # Plain tuples: 1,500 model instances with their profile and user cost more than the query.
    rows = entries.values_list("id", "uuid", "reviewer__user__first_name", "reviewer__user__last_name",
                               "reviewer__user__username", "current_assignments", "previewed", "max_assignments")
    name = User.full_name.function  # the user's rule, on plain values (a User instance each costs 50 µs)
    return [ReviewerLoad(key, uuid, name(first, last, username), current,
                         previewed, config.min_proposals_per_reviewer, min(config.max_proposals_per_reviewer, limit))
            for key, uuid, first, last, username, current, previewed, limit in rows]


def deployed_generations(call):
    """The call's deployed generations, latest first, each with how many of its items are still
    unsent drafts (what an undo withdraws) and how many were sent to reviewers: one query a page."""
    return (DeployedGeneration.objects.filter(call=call).select_related("deployed_by", "undone_by")
            .annotate(unsent=Count("items", filter=Q(items__batch__status=BatchStatus.DRAFT)),
                      sent=Count("items", filter=Q(items__batch__sent_at__isnull=False)))
            .order_by("-created", "-id"))  # a GROUP BY query ignores the model's ordering


def find_pairs(call, query: str, number):
    """A page of the undeployed preview's pairs whose proposal or reviewer name contains every
    word of `query` (the swap's second pair, anywhere in the preview): a count and the page."""
    rows = ProposedAssignment.objects.filter(call=call, is_deployed=False)
    aliases, conditions = {}, []
    for word in query.split():
        aliases, named = full_name_contains("reviewer__user", word)
        conditions.append(named | Q(proposal__name__icontains=word))
    rows = (rows.alias(**aliases).filter(*conditions).select_related("proposal", "reviewer__user")
            .order_by("proposal__name", "proposal_id", "rank", "id"))
    return Paginator(rows, PAIRS_FOUND_PER_PAGE).get_page(number)
