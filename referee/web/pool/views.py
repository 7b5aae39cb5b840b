"""The pool invitation page and the bids page (issue 12): load through `visible_to`, check with the
reviewers' predicates, call one function of `reviewers.domain` or `reviewers.bids`, render.

Refused forms answer 400 with the refusal beside the control; with htmx a POST answers the
fragment it replaces, without it a success redirects (PRG)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from referee.calls import disclosure
from referee.core.errors import FieldError
from referee.reviewers import bids, domain
from referee.reviewers.enums import BidValue
from referee.reviewers.models import CallReviewerPool
from referee.reviewers.queries import bidding_sheet, declarable_proposals
from referee.web.pages import refusals_on, signed_in
from referee.web.pool.access import require_bidder, require_invited, require_writer
from referee.web.pool.forms import AcceptForm, BidForm, DeclineForm

ACCEPTED = "Invitation accepted successfully."  # the API's words (reviewers.views)
DECLINED = "Invitation declined."
# Accept refusals that concern one control rather than the whole answer.
BID_VALUES = BidValue.choices  # the contract's bid values, in its order
REFUSAL_FIELDS = {domain.INVALID_CONFLICT[0]: "conflicts"}


# --- pool invitation ----------------------------------------------------------------------------

def invitation_for(request, token) -> CallReviewerPool:
    """The entry of the link, for its invited reviewer only: to anyone else, managers and staff
    included, the personal link does not exist (404; they see the entry through the API)."""
    entries = CallReviewerPool.objects.visible_to(request.user).select_related("call", "reviewer", "invited_by")
    entry = get_object_or_404(entries, invitation_token=token)
    require_invited(request.user, entry)
    return entry


def answer_context(entry, accept_form=None, decline_form=None) -> dict:
    closed = domain.why_closed(entry)
    proposals = [] if closed else declarable_proposals(entry)
    return {"entry": entry, "closed": closed, "titles_only": disclosure.INVITEE,
            "accepted": entry.invitation_status == CallReviewerPool.Status.ACCEPTED,
            "accept_form": accept_form or AcceptForm(proposals=proposals),
            "decline_form": decline_form or DeclineForm()}


def render_answer(request, entry, status=200, **forms):
    """The whole page, or with htmx the answer part it replaces (`#invitation-answer`)."""
    template = "web/pool/invitation_answer.html" if request.htmx else "web/pool/invitation.html"
    return render(request, template, answer_context(entry, **forms), status=status)


@signed_in
@require_http_methods(["GET", "HEAD"])
def invitation(request, token):
    return render_answer(request, invitation_for(request, token))


def answered(request, entry, words):
    if request.htmx:
        entry.refresh_from_db()
        return render(request, "web/pool/invitation_answer.html", {**answer_context(entry), "done": words})
    messages.success(request, words)
    return redirect("pool-invitation", token=entry.invitation_token)


def respond(request, token, form_name, make_form, act, words):
    """An answer to the invitation: `make_form(entry)` bound to the POST, then `act(entry, data)`,
    the one domain call; a refusal is shown on the form it concerns (400)."""
    entry = invitation_for(request, token)
    require_writer(request.user)
    form = make_form(entry)
    if form.is_valid():
        with refusals_on(form):
            act(entry, form.cleaned_data)
        if not form.refused:
            return answered(request, entry, words)
    return render_answer(request, entry, status=400, **{form_name: form})


def accept(entry, data, *, actor):
    try:
        domain.accept_invitation(entry, actor=actor, declarations=data["declarations"])
    except domain.InvitationRefusal as refusal:
        if refusal.code not in REFUSAL_FIELDS:
            raise
        raise FieldError(REFUSAL_FIELDS[refusal.code], refusal.message) from None


@signed_in
@require_POST
def accept_invitation(request, token):
    def make_form(entry):
        return AcceptForm(request.POST, proposals=[] if domain.why_closed(entry) else declarable_proposals(entry))

    return respond(request, token, "accept_form", make_form,
                   lambda entry, data: accept(entry, data, actor=request.user), ACCEPTED)


@signed_in
@require_POST
def decline_invitation(request, token):
    return respond(request, token, "decline_form", lambda entry: DeclineForm(request.POST),
                   lambda entry, data: domain.decline_invitation(entry, actor=request.user, reason=data["reason"]),
                   DECLINED)


# --- bids ---------------------------------------------------------------------------------------

@signed_in
@require_http_methods(["GET", "HEAD", "POST"])
def bids_page(request):
    require_bidder(request.user)
    if request.method != "POST":
        return render(request, "web/pool/bids.html", {"sheet": bidding_sheet(request.user), "bid_values": BID_VALUES})
    require_writer(request.user)
    form = BidForm(request.POST)
    if form.is_valid():
        with refusals_on(form):
            bid = bids.submit_bid(request.user, **form.cleaned_data)
    status = 400 if form.errors else 200
    if request.htmx:
        key = request.POST.get("proposal_uuid", "")
        context = {"form": form, "key": key, "value": request.POST.get("bid", ""), "bid_values": BID_VALUES}
        if status == 200:
            context["saved"] = bid.get_bid_display()
        return render(request, "web/pool/bid_form.html", context, status=status)
    if status == 200:
        messages.success(request, f"Your bid on “{bid.proposal.name}” is saved: {bid.get_bid_display()}.")
        return redirect("bids")
    sheet = bidding_sheet(request.user)
    key = form.data.get("proposal_uuid", "")
    listed = any(row.proposal.uuid.hex == key for _, rows in sheet for row in rows)
    # A proposal no longer listed (closed meanwhile, or unknown): its refusal goes above the list.
    return render(request, "web/pool/bids.html", {"sheet": sheet, "refused": form, "unlisted": not listed,
                                                    "bid_values": BID_VALUES},
                  status=400)
