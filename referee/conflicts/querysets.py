"""Visibility of conflicts (§3.7) and detection jobs (§3.8)."""

from django.db import models
from django.db.models import Q

from referee.core.roles import managed_calls, sees_everything


class COIQuerySet(models.QuerySet):
    def blocking(self):
        from referee.conflicts.rules import BLOCKING

        return self.filter(BLOCKING)

    def visible_to(self, user):
        if sees_everything(user):
            return self.all()
        return self.filter(Q(call_id__in=managed_calls(user)) | Q(reviewer__user=user))


class DetectionJobQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.all() if sees_everything(user) else self.filter(call_id__in=managed_calls(user))
