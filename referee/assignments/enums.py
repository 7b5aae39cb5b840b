"""Statuses of assignment batches and items, and where a batch came from (§2, Appendix A).

Named here, apart from the models, so that domain functions, queries and policies use them
without importing the models."""

from django.db import models


class BatchStatus(models.TextChoices):
    DRAFT = "draft", "Draft - pending approval"
    SENT = "sent", "Sent to reviewer"
    RESPONDED = "responded", "Reviewer responded"
    EXPIRED = "expired", "Invitation expired"
    CANCELLED = "cancelled", "Cancelled by manager"


class BatchSource(models.TextChoices):
    ALGORITHM = "algorithm"
    MANUAL = "manual"


class ItemStatus(models.TextChoices):
    PENDING = "pending", "Awaiting response"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    COI_BLOCKED = "coi_blocked", "Blocked due to COI"
    EXPIRED = "expired", "Expired without response"
    REASSIGNED = "reassigned", "Reassigned to another reviewer"


# The item statuses a reviewer's stats count (declined, reassigned after declining, expired:
# reviewers.queries.reviewer_stats); an index of the items holds exactly these.
STATS_ITEM_STATUSES = (ItemStatus.DECLINED, ItemStatus.REASSIGNED, ItemStatus.EXPIRED)


class MatchingJobKind(models.TextChoices):
    """The engine's long actions run as background jobs (issue 13); their states are detection's
    (`conflicts.enums.JobState`)."""

    AFFINITIES = "affinities", "Compute affinities"
    GENERATION = "generation", "Generate assignments"
    COMPARISON = "comparison", "Compare the algorithms"
