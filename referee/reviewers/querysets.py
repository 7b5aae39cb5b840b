"""Visibility of profiles, pool entries and bids (§3.6, §3.9, §3.10)."""

from django.db import models
from django.db.models import Exists, OuterRef, Q

from referee.core.roles import managed_calls, sees_everything


class ProfileQuerySet(models.QuerySet):
    def visible_to(self, user):
        if sees_everything(user):
            return self.all()
        from referee.reviewers.models import CallReviewerPool

        in_my_calls = CallReviewerPool.objects.filter(
            reviewer=OuterRef("pk"), invitation_status="accepted", call_id__in=managed_calls(user)
        )
        managing = user.managed_calls.exists()
        condition = Q(user=user)
        if managing:
            condition |= Q(is_published=True) | Exists(in_my_calls)
        return self.filter(condition)


class PoolQuerySet(models.QuerySet):
    def visible_to(self, user):
        if sees_everything(user):
            return self.all()
        return self.filter(Q(call_id__in=managed_calls(user)) | Q(reviewer__user=user))

    def accepted(self):
        return self.filter(invitation_status="accepted")


class BidQuerySet(models.QuerySet):
    def visible_to(self, user):
        if sees_everything(user):
            return self.all()
        return self.filter(Q(call_id__in=managed_calls(user)) | Q(reviewer__user=user))
