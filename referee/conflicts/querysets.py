"""Visibility of conflicts (§3.7); detection jobs (§3.8) are `core.querysets.ManagedCallRowsQuerySet`."""

from django.db import models

from referee.core.roles import sees_everything
from referee.reviewers.querysets import managed_or_own


class COIQuerySet(models.QuerySet):
    def blocking(self):
        from referee.conflicts.rules import BLOCKING

        return self.filter(BLOCKING)

    def visible_to(self, user):
        if sees_everything(user):
            return self.all()
        return self.filter(managed_or_own(user))
