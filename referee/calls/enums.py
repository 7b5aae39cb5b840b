"""States of calls, rounds and proposals; the disclosure levels and matching choices (§2, §3.2)."""

from django.db import models


class CallState(models.TextChoices):
    DRAFT = "draft"
    ACTIVE = "active"
    ARCHIVED = "archived"


class Disclosure(models.TextChoices):
    TITLES_ONLY = "titles_only"
    TITLES_AND_SUMMARIES = "titles_and_summaries"
    FULL_DETAILS = "full_details"


class AffinityMethod(models.TextChoices):
    COMBINED = "combined"
    KEYWORD = "keyword"
    TFIDF = "tfidf"


class Algorithm(models.TextChoices):
    MINMAX = "minmax"
    FAIRFLOW = "fairflow"
    HUNGARIAN = "hungarian"


class RoundStatus(models.TextChoices):
    SCHEDULED = "scheduled"
    OPEN = "open"
    ENDED = "ended"


class ProposalState(models.TextChoices):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELED = "canceled"
