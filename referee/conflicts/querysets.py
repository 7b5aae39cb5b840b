"""Visibility of conflicts (§3.7); detection jobs (§3.8) are `core.querysets.ManagedCallRowsQuerySet`."""


from referee.conflicts.rules import BLOCKING, rule_expression
from referee.reviewers.querysets import ManagedOrOwnQuerySet


class COIQuerySet(ManagedOrOwnQuerySet):
    def blocking(self):
        return self.filter(BLOCKING)

    def reapply_rules(self, config) -> int:
        """Re-derive `rule` of these conflicts from a call's COI configuration, in one UPDATE."""
        return self.update(rule=rule_expression(config))
