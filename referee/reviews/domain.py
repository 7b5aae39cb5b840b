"""Reviews (§3.11, §4.5): direct creation by a call manager, the reviewer's edits, submit and
reject. Reviews from assignment items are created by `assignments.domain.accept_item`.

Each action is one transaction. Direct creation locks the reviewer's pool entry of the call
(if any) before inserting the review (§7: pool entry → … → review), which serialises it with
every other action that weighs that reviewer's workload; the other actions lock the review."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from referee.assignments.models import AssignmentBatch
from referee.assignments.workload import enforce_workload_limit
from referee.calls.models import Proposal
from referee.conflicts.models import ConflictOfInterest
from referee.core.audit import record
from referee.core.enums import AuditEventType
from referee.core.errors import DomainError
from referee.reviewers.models import CallReviewerPool
from referee.reviews.enums import ReviewState
from referee.reviews.models import Review

PROPOSAL_CLOSED = "Proposal is no longer open for review."
TEAM_MEMBER = "Reviewer is a member of the proposal team."
UNRESOLVED_COI = "Reviewer has an unresolved conflict of interest with this proposal."
ALREADY_ACTIVE = "Reviewer already has an active review for this proposal."
ONLY_IN_REVIEW_CHANGED = "Only reviews in review can be changed."
ONLY_IN_REVIEW_SUBMITTED = "Only reviews in review can be submitted."
ONLY_IN_REVIEW_REJECTED = "Only reviews in review can be rejected."
DEADLINE_PASSED = "Review deadline has passed."


def create_review(proposal, reviewer, *, actor, override_workload_limit: bool = False) -> Review:
    """A manager gives `proposal` to the user `reviewer` directly: in_review at once. The
    workload limit applies when the reviewer has a pool entry in the call (§4.5)."""
    with transaction.atomic():
        # `of=self`: FOR UPDATE would also lock the joined profile row, and a locked referenced row
        # blocks every concurrent commit whose deferred foreign-key checks point at it.
        entry = CallReviewerPool.objects.select_for_update(of=("self",)).filter(
            call_id=proposal.call_id, reviewer__user=reviewer
        ).first()
        proposal = Proposal.objects.get(pk=proposal.pk)
        if not proposal.is_open_for_review:
            raise DomainError(PROPOSAL_CLOSED)
        if proposal.created_by_id == reviewer.pk or proposal.team.filter(pk=reviewer.pk).exists():
            raise DomainError(TEAM_MEMBER)
        if ConflictOfInterest.objects.blocking().filter(reviewer__user=reviewer, proposal=proposal).exists():
            raise DomainError(UNRESOLVED_COI)
        if _has_active_review(proposal, reviewer):
            raise DomainError(ALREADY_ACTIVE)
        if entry is not None:
            enforce_workload_limit(entry, 1, override=override_workload_limit, actor=actor, action="create-review")
        try:
            with transaction.atomic():
                # The partial unique index backs the check above against an accept racing us.
                review = Review.objects.create(proposal=proposal, reviewer=reviewer)
        except IntegrityError:
            raise DomainError(ALREADY_ACTIVE) from None
        record(AuditEventType.REVIEW_CREATED, review, actor=actor, call=proposal.call, to_state=ReviewState.IN_REVIEW, source="direct")
        return review


def _has_active_review(proposal, reviewer) -> bool:
    return Review.objects.filter(proposal=proposal, reviewer=reviewer, state__in=(ReviewState.IN_REVIEW, ReviewState.SUBMITTED)).exists()


def review_deadline(review):
    """`review_end_date` of one review (§4.5): the batch deadline counts for a review from an item.
    A review read through `queries.with_deadline` brings that batch deadline along (no query)."""
    if hasattr(review, "batch_expires_at"):
        return review.review_end_date(review.batch_expires_at)
    expires_at = AssignmentBatch.objects.filter(items__review=review).values_list("expires_at", flat=True).first()
    return review.review_end_date(expires_at)


def submit_refusal(review, now=None) -> str | None:
    """Why `review` cannot be submitted at `now` (the words `submit_review` refuses with), or None.
    `submit_review` asks it under lock; the pages ask it to show a closed review read-only."""
    if review.state != ReviewState.IN_REVIEW:
        return ONLY_IN_REVIEW_SUBMITTED
    return _deadline_refusal(review, now)


def _deadline_refusal(review, now=None) -> str | None:
    end = review_deadline(review)
    if end is not None and (now or timezone.now()) >= end:  # the same instant the overdue job rejects it
        return DEADLINE_PASSED
    return None


def _lock(review) -> Review:
    return Review.objects.select_for_update(of=("self",)).select_related("proposal__round", "proposal__call").get(
        pk=review.pk
    )


def _apply(review, fields: dict) -> list[str]:
    changed = [name for name, value in fields.items() if getattr(review, name) != value]
    for name in changed:
        setattr(review, name, fields[name])
    return changed


def update_review(review, *, actor, **fields) -> Review:
    """The reviewer's summary and comments, while the review is in review and its deadline has not
    passed (after it, the overdue job rejects the review: text saved in between would be lost)."""
    with transaction.atomic():
        review = _lock(review)
        if review.state != ReviewState.IN_REVIEW:
            raise DomainError(ONLY_IN_REVIEW_CHANGED)
        if refusal := _deadline_refusal(review):
            raise DomainError(refusal)
        changed = _apply(review, fields)
        if changed:
            review.save(update_fields=[*changed, "modified"])
            record(AuditEventType.REVIEW_UPDATED, review, actor=actor, call=review.proposal.call, from_state=ReviewState.IN_REVIEW,
                   to_state=ReviewState.IN_REVIEW, fields=changed)
        return review


def submit_review(review, *, actor, coi_confirmed: bool | None = None, **fields) -> Review:
    """in_review → submitted, before `review_end_date`; the body's summary fields are saved with it."""
    with transaction.atomic():
        review = _lock(review)
        now = timezone.now()
        refusal = submit_refusal(review, now)
        if refusal:
            raise DomainError(refusal)
        changed = _apply(review, fields)
        if coi_confirmed is not None and coi_confirmed != review.coi_confirmed:
            review.coi_confirmed, review.coi_confirmed_at = coi_confirmed, now if coi_confirmed else None
            changed += ["coi_confirmed", "coi_confirmed_at"]
        review.state = ReviewState.SUBMITTED
        review.save(update_fields=[*changed, "state", "modified"])
        record(AuditEventType.REVIEW_SUBMITTED, review, actor=actor, call=review.proposal.call, from_state=ReviewState.IN_REVIEW,
               to_state=ReviewState.SUBMITTED)
        return review


def reject_review(review, *, actor) -> Review:
    with transaction.atomic():
        review = _lock(review)
        if review.state != ReviewState.IN_REVIEW:
            raise DomainError(ONLY_IN_REVIEW_REJECTED)
        review.state = ReviewState.REJECTED
        review.save(update_fields=["state", "modified"])
        record(AuditEventType.REVIEW_REJECTED, review, actor=actor, call=review.proposal.call, from_state=ReviewState.IN_REVIEW,
               to_state=ReviewState.REJECTED, reason="rejected")
        return review
