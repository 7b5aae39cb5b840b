"""The base viewset every endpoint uses: UUID lookup, 405 before role checks, per-action roles,
HEAD counts and the visibility queryset (§1)."""

import uuid

from django.http import Http404
from rest_framework import viewsets
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.response import Response

from referee.api.columns import page_rows
from referee.api.permissions import ApiAccess
from referee.api.row_counts import counted, counts_kept


def parse_uuid(value) -> uuid.UUID:
    """Hex or hyphenated, any case; anything else is "not found" (§1: a non-UUID path segment → 404)."""
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise Http404 from None


# Query parameters that page or order a list without narrowing it.
NOT_NARROWING = frozenset({"page", "page_size", "o"})


class RefereeViewSet(viewsets.GenericViewSet):
    """Subclasses set `queryset`, and `action_permissions` = {action: [extra permission classes]}.
    `get_queryset` applies the model's `visible_to(user)` (one place per resource).

    `counted_list = True`: the `list` action shows `get_queryset()` unnarrowed but for filters, and
    the queryset's `visible_count(user)` counts it (referee.api.row_counts)."""

    lookup_field = "uuid"
    lookup_value_regex = "[^/]+"
    action_permissions: dict = {}
    counted_list = False
    counted_rows = None  # (model, call id) of a call action's list (`paginated`'s `counted_in`)

    def lookup_url_kwarg_present(self) -> bool:
        return (self.lookup_url_kwarg or self.lookup_field) in self.kwargs

    def check_permissions(self, request):
        # An unlisted method answers 405 to every authenticated caller, before any role check.
        if request.user.is_authenticated and getattr(self, request.method.lower(), None) is None:
            raise MethodNotAllowed(request.method)
        super().check_permissions(request)

    def get_permissions(self):
        extra = self.action_permissions.get(self.action, [])
        return [ApiAccess(), *(permission() for permission in extra)]

    def get_queryset(self):
        return self.queryset.visible_to(self.request.user)

    def get_object(self):
        queryset = self.filter_queryset_for_object(self.get_queryset())
        key = parse_uuid(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        try:
            obj = queryset.get(**{self.lookup_field: key})
        except queryset.model.DoesNotExist:
            raise Http404 from None
        self.check_object_permissions(self.request, obj)
        return obj

    def filter_queryset_for_object(self, queryset):
        """Detail routes skip list filters (they would turn a visible object into a 404)."""
        return queryset

    def validated(self, serializer_class, **kwargs) -> dict:
        """The request body as `serializer_class` validates it; a 400 in the one error shape if not."""
        body = serializer_class(data=self.request.data, **kwargs)
        body.is_valid(raise_exception=True)
        return body.validated_data

    def paginated(self, queryset, serializer_class=None, counted_in=None, **context):
        """Filter, order, paginate and serialise a list (HEAD: headers only). `counted_in`: the call
        all of whose rows of `queryset`'s model the list shows (a call action's list), so that a
        request no parameter narrows counts them from that call's counters (api.row_counts)."""
        self.counted_rows = None if counted_in is None else (queryset.model, counted_in.pk)
        queryset = self.filter_queryset(queryset)
        page = self.paginator.page_of(queryset, self.request, view=self)
        if self.request.method == "HEAD":
            return Response(headers=self.paginator.headers())
        serializer_class = serializer_class or self.get_serializer_class()
        serializer = serializer_class(page, many=True, context={**self.get_serializer_context(), **context})
        rows = page_rows(serializer, page)  # None: the page needs the instance path
        return self.get_paginated_response(serializer.data if rows is None else rows)

    def unfiltered_count(self) -> int | None:
        """X-Result-Count of a counted list that no parameter narrows, from its counters; None:
        the paginator counts the rows (every filtered list)."""
        if set(self.request.query_params) - NOT_NARROWING:
            return None
        if self.counted_rows is not None:
            model, call_id = self.counted_rows
            return counted(model, [call_id]) if counts_kept() else None
        if not self.counted_list or self.action != "list":
            return None
        return self.queryset.visible_count(self.request.user)

    def list(self, request, *args, **kwargs):
        return self.paginated(self.get_queryset())
