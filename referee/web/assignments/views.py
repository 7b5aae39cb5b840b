"""My assignments and the proposal page (issue 12). Thin: load through `visible_to`, check with
the predicate the API checks (`can_respond_to_item`, in `access`), call the domain function the API's item
views call, render; the read model is `assignments.queries.my_batches`, the disclosure
`calls.disclosure`. Answers work in place (htmx: the batch is redrawn) and as plain POSTs (PRG)."""

from typing import NamedTuple
from uuid import UUID

from django.contrib import messages
from django.forms import Form
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from referee.assignments import domain
from referee.assignments.item_views import ACCEPTED_MESSAGE, DECLINED_MESSAGE
from referee.assignments.models import AssignmentItem
from referee.assignments.predicates import can_respond_to_item
from referee.assignments.queries import my_batches
from referee.assignments.serializers import MAX_REASON
from referee.calls.disclosure import readable_by
from referee.calls.models import Proposal
from referee.web.assignments.forms import AcceptForm, DeclineForm
from referee.web.pages import refusals_on, require, signed_in

PAGE = "web/assignments/my_assignments.html"
BATCH = "web/assignments/batch.html"
PLACEHOLDER = str(UUID(int=0))


class Refusal(NamedTuple):
    """A refused answer: the item, which action ("accept"/"decline"), the form with its errors."""

    item_id: int
    action: str
    form: Form


@signed_in
@require_GET
def my_assignments(request):
    return _page(request)


@signed_in
@require_POST
def accept(request, uuid):
    item = _respondable(request, uuid)
    form = AcceptForm(request.POST, prefix=item.uuid.hex)
    with refusals_on(form):
        domain.accept_item(item, actor=request.user)
    return _answered(request, item, form, "accept", ACCEPTED_MESSAGE)


@signed_in
@require_POST
def decline(request, uuid):
    item = _respondable(request, uuid)
    form = DeclineForm(request.POST, prefix=item.uuid.hex)
    if form.is_valid():
        with refusals_on(form):
            domain.decline_item(item, actor=request.user, reason=form.cleaned_data["reason"])
    return _answered(request, item, form, "decline", DECLINED_MESSAGE)


@signed_in
@require_GET
def proposal(request, uuid):
    """At the level `readable_by` gives this reader; a proposal they may not read is a 404."""
    found = get_object_or_404(
        Proposal.objects.visible_to(request.user).select_related("call", "round", "created_by", "organization"),
        uuid=uuid,
    )
    shown = readable_by(request.user, [found])[found.pk]
    if not shown.visible:
        raise Http404
    return render(request, "web/assignments/proposal.html", {
        "proposal": found, "shown": shown, "summary": shown.summary_of(found),
        "description": shown.description_of(found), "team": list(found.team.all()) if shown.full else [],
    })


def _respondable(request, uuid) -> AssignmentItem:
    """The item as the API's accept/decline load it: invisible → 404, not the reviewer's → 403."""
    items = AssignmentItem.objects.visible_to(request.user).select_related("batch__call", "pool_entry__reviewer")
    item = get_object_or_404(items, uuid=uuid)
    require(can_respond_to_item(request.user, item))  # the item's reviewer answers it, as in the API
    return item


def _answered(request, item, form, action: str, message: str):
    """Success: the redrawn batch (htmx) or a redirect to the page. Refused: 400 with the refusal
    beside the item's action, in the batch (htmx) or the whole page."""
    refused = None if form.is_valid() else Refusal(item.pk, action, form)
    status = 200 if refused is None else 400
    if not request.htmx:
        if refused is None:
            messages.success(request, message)
            return redirect("my-assignments")
        return _page(request, refused, status=status)
    mine = _with_actions(my_batches(request.user, batch_id=item.batch_id), refused)
    batch = next(iter(mine.open + mine.past), None)
    if batch is None:  # cancelled meanwhile: no longer the reviewer's to see
        raise Http404
    context = {"batch": batch, "message": message if refused is None else "", "reason_max": MAX_REASON}
    return render(request, BATCH, context, status=status)


def _page(request, refused=None, status=200):
    batches = _with_actions(my_batches(request.user), refused)
    return render(request, PAGE, {"batches": batches, "reason_max": MAX_REASON}, status=status)


def _with_actions(batches, refused: Refusal | None):
    """Give each item its answer URLs and, for the refused one, its refusal. The URLs are
    reversed once per page, not per item: reversing was a fifth of the page's time at 200 items."""
    accept_url = reverse("accept-item", args=[PLACEHOLDER])
    decline_url = reverse("decline-item", args=[PLACEHOLDER])
    for batch in batches.open + batches.past:
        for item in batch.items.all():
            key = str(item.uuid)
            item.accept_url, item.decline_url = accept_url.replace(PLACEHOLDER, key), decline_url.replace(PLACEHOLDER, key)
            item.refused = refused if refused is not None and refused.item_id == item.pk else None
    return batches
