"""Users, organisations, the shared base model and the audit trail."""

import functools
import uuid
import zoneinfo

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from referee.core.countries import validate_country
from referee.core.derived import derived
from referee.core.loading import DirectLoading
from referee.core.querysets import CountedCallRowsQuerySet
from referee.core.roles import sees_everything


class UUIDModel(DirectLoading, models.Model):
    """Every API-visible entity: a public UUID plus creation and modification times (§2)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class RefereeUserManager(UserManager):
    def visible_to(self, user):
        if sees_everything(user):
            return self.all()
        return self.filter(pk=user.pk)


class CustomerQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.all()


UNKNOWN_TIME_ZONE = "Unknown time zone: choose one from the list, such as Europe/Tallinn."


@functools.cache
def time_zones() -> tuple[str, ...]:
    """The IANA zones this machine knows, sorted: the choices of `User.time_zone`."""
    return tuple(sorted(zoneinfo.available_timezones()))


def validate_time_zone(value: str) -> None:
    if value and value not in time_zones():
        raise ValidationError(UNKNOWN_TIME_ZONE)


class User(DirectLoading, AbstractUser):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    is_support = models.BooleanField(
        default=False, help_text="Reads everything staff can read; every write is refused."
    )
    time_zone = models.CharField(max_length=64, blank=True, default="", validators=[validate_time_zone],
                                 help_text="The IANA time zone the pages show times in; empty is UTC.")

    objects = RefereeUserManager()

    @derived("first_name", "last_name", "username")
    def full_name(first_name, last_name, username) -> str:
        return f"{first_name} {last_name}".strip() or username


class Customer(UUIDModel):
    """An organisation (Waldur's customer): a call's managing organisation, a proposal's or an affiliation's."""

    name = models.CharField(max_length=255, db_index=True)
    country = models.CharField(
        max_length=2, blank=True, default="", validators=[validate_country],
        help_text="ISO 3166-1 alpha-2 code of the organisation's country (DE, FR …); empty: unknown. "
                  "Read by the matching's diversity rules.")

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AuditEvent(DirectLoading, models.Model):
    """Append-only record of every state change, generation and override (§7, Audit)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    event_type = models.CharField(max_length=64, db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    call = models.ForeignKey(
        "calls.Call", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    object_type = models.CharField(max_length=64)
    object_uuid = models.UUIDField(db_index=True)
    from_state = models.CharField(max_length=32, blank=True, default="")
    to_state = models.CharField(max_length=32, blank=True, default="")
    message = models.TextField(blank=True, default="")
    context = models.JSONField(default=dict, blank=True)

    objects = CountedCallRowsQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.object_type} {self.object_uuid}"


class RowCount(models.Model):
    """How many rows of a table a call holds (call 0: rows of no call), kept by PostgreSQL triggers
    (referee.api.row_counts). The rows of one key add up: each write adds one, folding in others."""

    table_name = models.CharField(max_length=63)
    call_id = models.BigIntegerField()
    n = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["table_name", "call_id"], name="row_count_key")]

    def __str__(self) -> str:
        return f"{self.table_name} of call {self.call_id}: {self.n:+}"


class WorkerHeartbeat(models.Model):
    """A running Celery worker, by its hostname, and when it last said so (referee.core.workers).

    Work queued for the background is refused while no worker has beaten recently, instead of
    waiting forever for a worker that is not there."""

    hostname = models.CharField(max_length=255, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.hostname} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


class SignInLink(models.Model):
    """A personal one-time sign-in link (referee.core.sign_in_links): only the SHA-256 of its random
    token is kept, so whoever reads the database cannot sign in with what they read."""

    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    target_path = models.CharField(max_length=500)
    created = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"sign-in link of {self.user_id} to {self.target_path}"
