"""The Batches tab (thin, as every page): batches load through `visible_to` within the console's
call, actions ask the API's predicates (`can_manage_batch`, `can_manage_item`,
`can_read_item_suggestions`) and call the API's domain functions (`send_batch`, `cancel_batch`,
`extend_deadline`, `suggest_alternatives`, `reassign_item`); refusals stand beside the action in
the API's words. The list reads `assignments.queries.batch_rows` (constant queries per page).
Actions work in place (htmx: the batch's rows are redrawn) and as plain POSTs (PRG, back to the
same page of the same filtered list: the action URLs carry the list's query string)."""

from typing import NamedTuple

from django.contrib import messages
from django.forms import Form
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_htmx.http import reswap, retarget

from referee.assignments import domain
from referee.assignments.domain.batches import CANCELLABLE, EXTENDABLE, SENDABLE
from referee.assignments.domain.reassign import REASSIGNABLE
from referee.assignments.enums import BatchStatus, ItemStatus
from referee.assignments.filters import BATCH_ORDERING
from referee.assignments.item_views import REASSIGNED_MESSAGE
from referee.assignments.models import AssignmentBatch, AssignmentItem
from referee.assignments.predicates import can_manage_batch, can_manage_item, can_read_item_suggestions
from referee.assignments.queries import batch_rows
from referee.assignments.views import CANCELLED_MESSAGE, SENT_MESSAGE
from referee.web.console.access import manages_call, reads_call
from referee.web.console.batches.forms import ORDER_CHOICES, ActionForm, BatchFilter, ExtendForm, ReassignForm
from referee.web.console.paging import ordered, page_of
from referee.web.console.views import render_tab
from referee.web.pages import refusals_on, require

TAB = "web/console/batches/tab.html"
ROWS = "web/console/batches/batch.html"
ALTERNATIVES_PAGE = "web/console/batches/alternatives_page.html"
ALTERNATIVES = "web/console/batches/alternatives.html"
EXTENDED_MESSAGE = "Deadline extended."
DEFAULT_ORDER = ["-created"]


class Refusal(NamedTuple):
    """A refused batch action: the batch, which action ("send", "cancel", "extend"), its form."""

    batch_id: int
    action: str
    form: Form


def tab(request, call):
    return _tab(request, call)


@manages_call
def send(request, call, batch_uuid):
    return _without_input(request, call, batch_uuid, "send", domain.send_batch, SENT_MESSAGE)


@manages_call
def cancel(request, call, batch_uuid):
    return _without_input(request, call, batch_uuid, "cancel", domain.cancel_batch, CANCELLED_MESSAGE)


@manages_call
def extend(request, call, batch_uuid):
    batch, form = _batch(request, call, batch_uuid), ExtendForm(request.POST, prefix=batch_uuid.hex)
    if form.is_valid():
        with refusals_on(form):
            domain.extend_deadline(batch, actor=request.user, expires_at=form.cleaned_data["expires_at"])
    return _acted(request, call, batch, Refusal(batch.pk, "extend", form), EXTENDED_MESSAGE)


@reads_call
@require_GET
def alternatives(request, call, item_uuid):
    item = _item(request, call, item_uuid)
    require(can_read_item_suggestions(request.user, item))
    return _alternatives(request, call, item)


@manages_call
def reassign(request, call, item_uuid):
    item = _item(request, call, item_uuid)
    require(can_manage_item(request.user, item))
    form = ReassignForm(request.POST)
    if form.is_valid():
        with refusals_on(form):
            domain.reassign_item(item, actor=request.user, **form.cleaned_data)
    if not form.is_valid():
        response = _alternatives(request, call, item, refused=form, status=400)
        # The form targets the batch's rows (redrawn after a reassign); a refusal stays in the list.
        return reswap(retarget(response, f"#alternatives-{item.uuid.hex}"), "innerHTML") if request.htmx else response
    return _done(request, call, item.batch_id, REASSIGNED_MESSAGE)


def _without_input(request, call, batch_uuid, name: str, act, message: str):
    batch, form = _batch(request, call, batch_uuid), ActionForm(request.POST)
    with refusals_on(form):
        act(batch, actor=request.user)
    return _acted(request, call, batch, Refusal(batch.pk, name, form), message)


def _batch(request, call, batch_uuid) -> AssignmentBatch:
    batches = AssignmentBatch.objects.visible_to(request.user).filter(call=call).select_related("call")
    batch = get_object_or_404(batches, uuid=batch_uuid)
    require(can_manage_batch(request.user, batch))
    return batch


def _item(request, call, item_uuid) -> AssignmentItem:
    items = AssignmentItem.objects.visible_to(request.user).filter(batch__call=call).select_related(
        "batch__call", "pool_entry__reviewer__user", "proposal")
    return get_object_or_404(items, uuid=item_uuid)


def _list_query(request) -> str:
    """The list's query string (filters, order, page), on this tab."""
    query = request.GET.copy()
    query.pop("pool_tab", None)
    query["tab"] = "batches"
    return query.urlencode()


def _tab(request, call, refused: Refusal | None = None, status: int = 200):
    batches = AssignmentBatch.objects.visible_to(request.user).filter(call=call)
    filters = BatchFilter(request.GET, queryset=batches)
    valid = filters.is_valid()
    rows, order_refusal = ordered(request, filters.qs if valid else batches.none(), BATCH_ORDERING, DEFAULT_ORDER)
    listing = page_of(request, batch_rows(rows))
    query = _list_query(request)
    for batch in listing.page:
        _offer(batch, refused)
    return render_tab(request, call, TAB, {
        "current_tab": "batches", "filters": filters, "order_choices": ORDER_CHOICES, "order": request.GET.get("o", ""),
        "order_refusal": order_refusal, "listing": listing, "query": query,
    }, status=400 if not valid or order_refusal else status)


def _offer(batch, refused: Refusal | None) -> None:
    """What the page offers on a batch and its items (the domain decides, and refuses in words
    what a stale page still asks), and the refusal of the action tried on it."""
    batch.status_label = BatchStatus(batch.status).label
    batch.sendable, batch.cancellable = batch.status in SENDABLE, batch.status in CANCELLABLE
    batch.extendable = batch.status in EXTENDABLE
    batch.refused = refused if refused is not None and refused.batch_id == batch.pk else None
    batch.extend_form = batch.refused.form if batch.refused and batch.refused.action == "extend" else ExtendForm(
        prefix=batch.uuid.hex)
    for item in batch.items.all():
        item.status_label = ItemStatus(item.status).label
        item.reassignable = item.status in REASSIGNABLE


def _acted(request, call, batch, refusal: Refusal, message: str):
    if refusal.form.is_valid():
        return _done(request, call, batch.pk, message)
    if not request.htmx:
        return _tab(request, call, refusal, status=400)
    return _rows(request, call, batch.pk, refused=refusal, status=400)


def _done(request, call, batch_id: int, message: str):
    """After an action: the batch's rows redrawn (htmx), or back to the list (PRG)."""
    if request.htmx:
        return _rows(request, call, batch_id, message=message)
    messages.success(request, message)
    return redirect(f"{reverse('console', args=[call.uuid])}?{_list_query(request)}")


def _rows(request, call, batch_id: int, *, message: str = "", refused: Refusal | None = None, status: int = 200):
    batch = batch_rows(AssignmentBatch.objects.filter(pk=batch_id)).get()
    _offer(batch, refused)
    return render(request, ROWS, {"batch": batch, "call": call, "can_manage": True, "message": message,
                                  "query": _list_query(request)}, status=status)


def _alternatives(request, call, item, *, refused: Form | None = None, status: int = 200):
    """The item's ranked alternatives (`suggest_alternatives`, the API's list), each with its
    reassign button; an item that needs no other reviewer gets the API's refusal instead."""
    probe = ActionForm({})
    found = []
    with refusals_on(probe):
        found = domain.suggest_alternatives(item)
    context = {"item": item, "call": call, "alternatives": found, "refusal": probe, "refused": refused,
               "query": _list_query(request), "current_tab": "batches"}
    if probe.refused:
        status = 400
    if request.htmx:  # inside the item's row: a reassign redraws the batch's rows
        context.update(can_manage=can_manage_item(request.user, item), inline=True)
        return render(request, ALTERNATIVES, context, status=status)
    return render_tab(request, call, ALTERNATIVES_PAGE, context, status=status)
