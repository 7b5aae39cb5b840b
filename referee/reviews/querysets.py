"""Visibility of reviews (§3.11)."""

from django.db import models
from django.db.models import Q

from referee.core.querysets import count_by_call
from referee.core.roles import managed_call_ids, sees_everything


class ReviewQuerySet(models.QuerySet):
    def visible_to(self, user):
        if sees_everything(user):
            return self.all()
        from referee.calls.models import Proposal  # models import querysets: read at call time

        # The proposals of managed calls as one hashed set, not a join to the proposal of every
        # review; the calls are literal ids (see BatchQuerySet.visible_to).
        managed = Proposal.objects.filter(call_id__in=managed_call_ids(user)).values("id")
        return self.filter(Q(proposal_id__in=managed) | Q(reviewer=user))

    def visible_count(self, user) -> int | None:
        """How many reviews `user` sees (see count_by_call): a review's call is its proposal's."""
        return count_by_call(self, user, lambda: Q(reviewer=user), "proposal__call_id")
