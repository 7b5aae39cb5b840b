"""Read models of reviewers: a profile's `stats` and `profile_completeness` (§3.10), the numbers
the API's `ReviewerProfile` shows and a page about a reviewer would show; the proposals a reviewer
bids on (`bidding_sheet`) and those an invitation lists for declaring conflicts."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, DurationField, Exists, F, Max, OuterRef, Q, Sum

from referee.assignments.enums import STATS_ITEM_STATUSES, BatchStatus, ItemStatus
from referee.assignments.models import AssignmentBatch, AssignmentItem
from referee.calls.disclosure import ProposalDisclosure, readable_by
from referee.calls.models import Call, Proposal
from referee.core.statements import rows_for
from referee.reviewers.models import CallReviewerPool, ReviewerBid
from referee.reviews.enums import ReviewState
from referee.reviews.models import Review

# `profile_completeness` is measured over these five parts (§3.10).
COMPLETENESS_FIELDS = ("biography", "orcid_id", "affiliations", "expertise", "publications")


def reviewer_stats(profiles) -> dict[int, dict]:
    """ReviewerStats per profile id, from reviews and items (Waldur differs: never maintained).

    completed = submitted reviews; declined = items the reviewer declined (also when reassigned
    afterwards); timeout = items expired unanswered in a batch that was not cancelled; review time
    = created → last change of the submitted review. Three queries for any number of profiles."""
    profiles = list(profiles)
    stats = {p.pk: _empty_stats(p) for p in profiles}
    if not stats:
        return stats
    by_user = {p.user_id: stats[p.pk] for p in profiles}
    for user_id, completed, scores, scored, time_taken, last in rows_for(
            submitted_reviews, Review, submitted_reviews, list(by_user)):
        row = by_user[user_id]
        row["total_reviews_completed"] = completed
        row["average_score_given"] = round(scores / scored, 2) if scored else None
        row["average_review_time_days"] = round(time_taken.total_seconds() / 86400 / completed, 1)
        row["last_review_date"] = last.date()
    reviewer_of = dict(rows_for(pool_entries, CallReviewerPool, pool_entries, list(stats)))
    for entry_id, declined, timeout in rows_for(item_counts, AssignmentItem, item_counts, list(reviewer_of)):
        row = stats[reviewer_of[entry_id]]
        row["total_reviews_declined"] += declined
        row["total_reviews_timeout"] += timeout
    return stats


# The three statements of `reviewer_stats`, each compiled once (core.statements: they depend on
# nothing but the ids).

def submitted_reviews(user_ids):
    """(reviewer, count, sum and count of scores, time taken, last change) of their submitted
    reviews, summed by the database: a page's reviewers have hundreds, and reading each one's row
    cost more than the sums."""
    return Review.objects.filter(reviewer_id__any_of=user_ids, state=ReviewState.SUBMITTED).values(
        "reviewer_id").annotate(
        completed=Count("pk"), scores=Sum("summary_score"), scored=Count("summary_score"),
        time_taken=Sum(F("modified") - F("created"), output_field=DurationField()), last=Max("modified"),
    ).values_list("reviewer_id", "completed", "scores", "scored", "time_taken", "last")


def pool_entries(profile_ids):
    """(entry, reviewer) of the reviewers' pool entries, in no order."""
    return CallReviewerPool.objects.filter(reviewer_id__any_of=profile_ids).order_by().values_list("id", "reviewer_id")


def item_counts(entry_ids):
    """(entry, declined, timed out) of the entries' items.

    The page's pool entries (a few hundred) as an array the item index takes, only the statuses
    counted, and the counts grouped by entry: joined to the pool for every item, PostgreSQL read
    all of them (50 ms); joined to it for each counted item to group by reviewer, it read 7,900
    buffers instead of 4,500 (8.8 ms instead of 5). The counted items and the cancelled batches
    are each read from a partial index alone (`item_stats_by_entry`, `batch_cancelled_ids`:
    6.9 ms → 2.9 ms); the cancelled batches are hashed once, not joined to every counted item."""
    cancelled = AssignmentBatch.objects.filter(pk=OuterRef("batch_id"), status=BatchStatus.CANCELLED)
    return (
        AssignmentItem.objects.filter(pool_entry_id__any_of=entry_ids, status__in=STATS_ITEM_STATUSES)
        .values("pool_entry_id")
        .annotate(
            declined=Count("pk", filter=Q(status=ItemStatus.DECLINED) | Q(status=ItemStatus.REASSIGNED, responded_at__isnull=False)),
            timeout=Count("pk", filter=Q(status=ItemStatus.EXPIRED) & ~Exists(cancelled)),
        )
        .values_list("pool_entry_id", "declined", "timeout")
    )


def _empty_stats(profile) -> dict:
    return {"uuid": profile.uuid.hex, "total_reviews_completed": 0, "total_reviews_declined": 0,
            "total_reviews_timeout": 0, "average_review_time_days": None, "average_score_given": None,
            "last_review_date": None, "quality_rating": None, "quality_rating_count": 0}


def profile_completeness(profile) -> dict:
    """Of a profile whose nested rows are attached as lists (`serializers_profiles.attach_profile_rows`
    or `attach_rendered_profile_rows`): only whether each is empty is read."""
    present = {
        "biography": bool(profile.biography.strip()),
        "orcid_id": bool(profile.orcid_id),
        "affiliations": bool(profile.affiliations_rows),
        "expertise": bool(profile.expertise_set_rows),
        "publications": bool(profile.publications_rows),
    }
    missing = [name for name in COMPLETENESS_FIELDS if not present[name]]
    return {"is_complete": not missing, "missing_fields": missing, "mandatory_fields": list(COMPLETENESS_FIELDS),
            "enforcement_enabled": False,
            "percentage": round(100 * (len(COMPLETENESS_FIELDS) - len(missing)) / len(COMPLETENESS_FIELDS))}


@dataclass(frozen=True)
class BidRow:
    proposal: Proposal
    disclosure: ProposalDisclosure  # what the reviewer is shown of it
    bid: ReviewerBid | None  # theirs, if any


def bidding_sheet(user) -> list[tuple[Call, list[BidRow]]]:
    """The calls whose pool `user` accepted, each with the proposals of it they may bid on: those
    they see (`Proposal.visible_to`) still open for review (`bids.submit_bid` refuses the others),
    as the call discloses them (`readable_by`), with their bid. Six queries for any number of calls,
    proposals and bids."""
    pooled = CallReviewerPool.objects.accepted().filter(reviewer__user_id=user.pk).values("call_id")
    calls = list(Call.objects.filter(pk__in=pooled).order_by("name", "pk"))
    proposals = list(Proposal.objects.visible_to(user).open_for_review().filter(call_id__in=[c.pk for c in calls])
                     .order_by("name", "pk"))
    disclosures = readable_by(user, proposals)
    bids = {bid.proposal_id: bid for bid in ReviewerBid.objects.visible_to(user).filter(
        reviewer__user_id=user.pk, proposal_id__in=[p.pk for p in proposals])}
    rows = defaultdict(list)
    for proposal in proposals:
        rows[proposal.call_id].append(BidRow(proposal, disclosures[proposal.pk], bids.get(proposal.pk)))
    return [(call, rows[call.pk]) for call in calls]


def declarable_proposals(entry) -> list[Proposal]:
    """The proposals an invitation lists for declaring conflicts while accepting: the call's
    proposals open for review, by title (shown as `disclosure.INVITEE`: titles only)."""
    return list(Proposal.objects.filter(call_id=entry.call_id).open_for_review().order_by("name", "pk"))
