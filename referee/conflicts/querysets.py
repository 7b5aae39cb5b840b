"""Visibility of conflicts (§3.7); detection jobs (§3.8) are `core.querysets.ManagedCallRowsQuerySet`."""

from django.db import models

from referee.conflicts.rules import BLOCKING, rule_expression
from referee.core.roles import sees_everything
from referee.reviewers.querysets import managed_or_own


class COIQuerySet(models.QuerySet):
    def blocking(self):
        return self.filter(BLOCKING)

    def reapply_rules(self, config) -> int:
        """Re-derive `rule` of these conflicts from a call's COI configuration, in one UPDATE."""
        return self.update(rule=rule_expression(config))

    def visible_to(self, user):
        if sees_everything(user):
            return self.all()
        return self.filter(managed_or_own(user))
