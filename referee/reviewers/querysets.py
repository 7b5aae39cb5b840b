"""Visibility of profiles (and their rows), pool entries and bids (§3.6, §3.9, §3.10)."""

from django.db import models
from django.db.models import Q

from referee.api.queries import InSubquery
from referee.core.querysets import count_by_call
from referee.core.roles import managed_call_ids, sees_everything
from referee.reviewers.enums import InvitationStatus


def own_profile(user):
    """Subquery of the id of the user's reviewer profile (none or one)."""
    from referee.reviewers.models import ReviewerProfile  # models import querysets: read at call time

    return ReviewerProfile.objects.filter(user=user).values("id")


def managed_or_own(user):
    """Rows of the user's managed calls or of the user's own profile, for tables with `call` and
    `reviewer` (pool entries, bids, conflicts): two index conditions rather than a join to the
    profile of every row (see BatchQuerySet.visible_to)."""
    return Q(call_id__in=managed_call_ids(user)) | own_rows(user)


def own_rows(user):
    """Rows of the user's own profile, for tables with `reviewer` (see managed_or_own)."""
    return InSubquery("reviewer_id", own_profile(user))


class ManagedOrOwnQuerySet(models.QuerySet):
    """Rows visible by `managed_or_own`, of a table counted per call (referee.api.row_counts)."""

    def visible_to(self, user):
        if sees_everything(user):
            return self.all()
        return self.filter(managed_or_own(user))

    def visible_count(self, user) -> int | None:
        """How many rows `user` sees (see count_by_call)."""
        return count_by_call(self, user, lambda: own_rows(user), "call_id")


class ProfileQuerySet(models.QuerySet):
    def visible_to(self, user):
        if sees_everything(user):
            return self.all()
        from referee.reviewers.models import CallReviewerPool  # models import querysets: read at call time

        # One hashed set of the members of the user's calls, not a probe of the pool per profile.
        managed = managed_call_ids(user)
        in_my_calls = CallReviewerPool.objects.filter(invitation_status=InvitationStatus.ACCEPTED, call_id__in=managed)
        condition = Q(user=user)
        if managed:
            condition |= Q(is_published=True) | Q(pk__in=in_my_calls.values("reviewer_id"))
        return self.filter(condition)


class ProfileRowQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Affiliations, expertise and publications are seen with their profile."""
        if sees_everything(user):
            return self.all()
        from referee.reviewers.models import ReviewerProfile  # models import querysets: read at call time

        return self.filter(profile__in=ReviewerProfile.objects.visible_to(user).values("id"))


class PoolQuerySet(ManagedOrOwnQuerySet):
    def accepted(self):
        return self.filter(invitation_status=InvitationStatus.ACCEPTED)
