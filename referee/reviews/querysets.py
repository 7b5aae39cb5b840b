"""Visibility of reviews (§3.11)."""

from django.db import models
from django.db.models import Q

from referee.core.querysets import count_by_call
from referee.core.roles import managed_call_ids, sees_everything


class ReviewQuerySet(models.QuerySet):
    def visible_to(self, user):
        if sees_everything(user):
            return self.all()
        # The review's own call, as literal ids (see BatchQuerySet.visible_to): not a join to the
        # proposal of every review, nor a hashed set of the managed calls' proposals.
        return self.filter(Q(call_id__in=managed_call_ids(user)) | Q(reviewer=user))

    def visible_count(self, user) -> int | None:
        """How many reviews `user` sees (see count_by_call)."""
        return count_by_call(self, user, lambda: Q(reviewer=user), "call_id")
