"""Visibility of reviews (§3.11)."""

from django.db import models
from django.db.models import Q

from referee.core.roles import managed_calls, sees_everything


class ReviewQuerySet(models.QuerySet):
    def visible_to(self, user):
        if sees_everything(user):
            return self.all()
        return self.filter(Q(proposal__call_id__in=managed_calls(user)) | Q(reviewer=user))
