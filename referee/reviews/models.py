"""Reviews of proposals (§2, §4.5)."""

from datetime import timedelta

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from referee.calls.models import Call, Proposal
from referee.core.models import User, UUIDModel
from referee.reviews import enums
from referee.reviews.querysets import ReviewQuerySet


def end_date(created, review_duration_in_days, batch_expires_at=None):
    """A review's end date (§4.5): its round's review duration after it was created, or its
    batch's deadline if that is later; None when the round sets no duration."""
    if review_duration_in_days is None:
        return None
    end = created + timedelta(days=review_duration_in_days)
    if batch_expires_at is not None and batch_expires_at > end:
        return batch_expires_at
    return end


class Review(UUIDModel):
    State = enums.ReviewState

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="reviews")
    # The proposal's call, copied on creation (`save`) and never changed (a guard; a proposal
    # never leaves its call): a manager's reviews, and a pool entry's, are read by call.
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="+", editable=False, db_index=False)
    reviewer = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reviews")
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_REVIEW, db_index=True)
    summary_score = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    summary_public_comment = models.TextField(blank=True, default="")
    summary_private_comment = models.TextField(blank=True, default="")
    comment_project_title = models.TextField(null=True, blank=True)
    comment_project_summary = models.TextField(null=True, blank=True)
    comment_project_description = models.TextField(null=True, blank=True)
    comment_project_supporting_documentation = models.TextField(null=True, blank=True)
    comment_resource_requests = models.TextField(null=True, blank=True)
    comment_team = models.TextField(null=True, blank=True)
    coi_confirmed = models.BooleanField(default=False)
    coi_confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "reviewer"], condition=Q(state__in=["in_review", "submitted"]),
                name="one_active_review_per_reviewer_proposal",
            ),
            models.CheckConstraint(
                condition=Q(summary_score__isnull=True) | Q(summary_score__gte=1, summary_score__lte=10),
                name="review_score_1_to_10",
            ),
        ]
        # A manager's reviews by call; a pool entry's (its reviewer in its call) by state, from
        # the index alone.
        indexes = [models.Index(fields=["call", "reviewer", "state"], name="review_call_reviewer_state")]

    def save(self, *args, **kwargs):
        if self.call_id is None:
            self.call_id = self.proposal.call_id
        super().save(*args, **kwargs)

    def review_end_date(self, batch_expires_at=None):
        """§4.5: derived at read time so that deadline extensions move it."""
        return end_date(self.created, self.proposal.round.review_duration_in_days, batch_expires_at)
