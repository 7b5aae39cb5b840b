"""Visibility of the rows only a call's managers read (§1): written once for every such resource;
and a user's name as the pages show it, searched."""

from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Concat

from referee.api.row_counts import counted, counts_kept
from referee.core.roles import managed_call_ids, sees_everything


class ManagedCallRowsQuerySet(models.QuerySet):
    """Rows with a `call` that its managers read, and staff and support; everyone else sees none
    (404 on a detail): audit events, detection jobs, proposed assignments, assignment configurations."""

    def visible_to(self, user):
        # The managed calls as ids, as every visibility rule writes them (docs/decisions.md): as a
        # subquery, PostgreSQL planned a manager's page of proposed assignments afresh on every
        # request (7 ms), its generic plan unable to tell which calls the subquery would name.
        return self.all() if sees_everything(user) else self.filter(call_id__in=managed_call_ids(user))


class CountedCallRowsQuerySet(ManagedCallRowsQuerySet):
    """Such rows of a table whose rows are counted per call (referee.api.row_counts): audit
    events, proposed assignments."""

    def visible_count(self, user) -> int | None:
        """How many rows `user` sees, from the per-call counters: every one for staff and support,
        their calls' for a manager, none for anyone else."""
        if not counts_kept():
            return None
        return counted(self.model, None if sees_everything(user) else managed_call_ids(user))


def count_by_call(queryset, user, own, call: str) -> int | None:
    """The rows of `queryset`'s model that `user` sees when visibility is "a call they manage, or
    `own()`", for a table counted per call (referee.api.row_counts): staff's from the counters
    alone, a manager's from the counters of their calls plus their own rows in other calls (few).
    None (COUNT(*) instead) without counters, or for a user managing no call (their own rows are
    few). `call` is the path to a row's call. `own` builds its condition only for a manager: staff
    built it for nothing, 1–4 % of their unfiltered list request."""
    if not counts_kept():
        return None
    if sees_everything(user):
        return counted(queryset.model)
    managed = managed_call_ids(user)
    if not managed:
        return None
    return counted(queryset.model, managed, plus=queryset.filter(own()).exclude(**{f"{call}__in": managed}))


def full_name_contains(user: str, value: str) -> tuple[dict, Q]:
    """(the alias to add, the condition) of rows whose user at the path `user` (e.g.
    "reviewer__user") has `value` in their name as `User.full_name` renders it: first and last
    name, else the username."""
    alias = f"{user}_full_name".replace("__", "_")
    unnamed = Q(**{f"{user}__first_name": "", f"{user}__last_name": ""})
    return ({alias: Concat(f"{user}__first_name", Value(" "), f"{user}__last_name")},
            Q(**{f"{alias}__icontains": value}) | (unnamed & Q(**{f"{user}__username__icontains": value})))
