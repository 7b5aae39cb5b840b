"""Pool invitation statuses, bid values and the kinds of profile rows (§2, §4.3)."""

from django.db import models


class AffiliationType(models.TextChoices):
    EMPLOYMENT = "employment"
    EDUCATION = "education"
    HONORARY = "honorary"
    VISITING = "visiting"
    CONSULTING = "consulting"


class CareerStage(models.TextChoices):
    DOCTORAL = "doctoral"
    POSTDOC = "postdoc"
    ESTABLISHED = "established"
    SENIOR = "senior"


class Proficiency(models.TextChoices):
    EXPERT = "expert"
    FAMILIAR = "familiar"
    BASIC = "basic"


class Venue(models.TextChoices):
    JOURNAL = "journal"
    CONFERENCE = "conference"
    PREPRINT = "preprint"
    BOOK = "book"
    THESIS = "thesis"
    REPORT = "report"
    OTHER = "other"


class InvitationStatus(models.TextChoices):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"


class BidValue(models.TextChoices):
    EAGER = "eager"
    WILLING = "willing"
    NOT_WILLING = "not_willing"
    CONFLICT = "conflict"
