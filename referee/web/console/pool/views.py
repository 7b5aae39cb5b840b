"""The Pool tab (`?tab=pool`) and its actions. Invitations, resends and force-accepts go through
the API's domain functions (`reviewers.domain`); the search is the API's profile filter; each
reviewer's load is the workload rule's count (`assignments.workload`). A refused form answers
400 with the tab and the words beside the field; a success redirects back (PRG)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.forms import Form
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse

from referee.assignments.queries import round_up
from referee.assignments.workload import with_open_assignments
from referee.reviewers import domain
from referee.reviewers.filters import CallPoolFilter, ProfileFilter, with_user_name
from referee.reviewers.models import CallReviewerPool, ReviewerProfile
from referee.reviewers.predicates import can_manage_pool_entry
from referee.web.console.access import manages_call
from referee.web.console.pool.forms import EmailInviteForm, ForceAcceptForm, InviteForm, SearchForm
from referee.web.console.views import render_tab
from referee.web.pages import refusals_on, require

PAGE_SIZE = 50  # pool rows per page: a call can have 1,500 reviewers
SEARCH_LIMIT = 20  # profiles shown per search; narrow the search for more
Status = CallReviewerPool.Status


def tab(request, call):
    return render_pool(request, call)


def render_pool(request, call, *, status=200, **forms):
    """The tab with its three parts; `forms` are bound forms to show instead of fresh ones (after a
    refusal): `invite_form`, `email_form`, or `row_form` with `row_entry` (the pool row whose action
    was refused: its errors are shown in that row)."""
    search = SearchForm(request.GET)
    return render_tab(request, call, "web/console/pool/tab.html", {
        "search": search,
        "hits": found_profiles(request.user, call, search) if search.asked() else None,
        "search_limit": SEARCH_LIMIT,
        "invite_form": forms.get("invite_form") or InviteForm(),
        "email_form": forms.get("email_form") or EmailInviteForm(),
        "row_form": forms.get("row_form"),
        "row_entry": forms.get("row_entry"),
        "counts": round_up([call.id])[call.id].pool,
        "statuses": Status.choices,
        "chosen_statuses": request.GET.getlist("invitation_status"),
        "page": pool_page(call, request.GET),
        "resendable": domain.RESENDABLE,  # offer Resend where `resend_invitation` allows it
    }, status=status)


def found_profiles(user, call, search) -> list:
    """The profiles this user may see that match every field given (the API's `ProfileFilter`),
    by name, each with its status in this call's pool ("" when not in it)."""
    in_pool = CallReviewerPool.objects.filter(call=call, reviewer=OuterRef("pk")).values("invitation_status")[:1]
    profiles = with_user_name(ReviewerProfile.objects.visible_to(user)).annotate(pool_status=Subquery(in_pool))
    data = {key: value for key, value in search.cleaned_data.items() if value}
    matching = ProfileFilter(data, queryset=profiles).qs
    return list(matching.select_related("user").prefetch_related("expertise_set", "affiliations")
                .order_by("user_name", "pk")[:SEARCH_LIMIT])


def pool_page(call, params):
    """One page of the call's pool (filtered by `invitation_status*` as the API's pool list), each
    entry with its open load (`current_assignments`) beside its maximum."""
    entries = with_open_assignments(CallReviewerPool.objects.filter(call=call)).select_related("reviewer__user")
    entries = CallPoolFilter(params, queryset=entries).qs.order_by("-invited_at", "-id")
    return Paginator(entries, PAGE_SIZE).get_page(params.get("page"))


def back_to_tab(request, call):
    """The tab as it was (its search, filter and page ride on the action's query string)."""
    return redirect(reverse("console", args=[call.uuid]) + "?" + (request.GET.urlencode() or "tab=pool"))


@manages_call
def invite(request, call):
    form = InviteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        entries = domain.invite_reviewers(call, actor=request.user, reviewer_uuids=[data["reviewer_uuid"]],
                                          max_assignments=data["max_assignments"],
                                          invitation_message=data["invitation_message"])
        if entries:
            messages.success(request, f"{entries[0].reviewer.user.full_name} is invited.")
        else:
            messages.info(request, domain.ALREADY_IN_POOL)
        return back_to_tab(request, call)
    return render_pool(request, call, status=400, invite_form=form)


@manages_call
def invite_by_email(request, call):
    form = EmailInviteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        with refusals_on(form):
            entry = domain.invite_by_email(call, actor=request.user, email=data["email"],
                                           max_assignments=data["max_assignments"],
                                           invitation_message=data["invitation_message"])
        if not form.refused:
            messages.success(request, f"{entry.reviewer.user.full_name} ({data['email']}) is invited.")
            return back_to_tab(request, call)
    return render_pool(request, call, status=400, email_form=form)


def managed_entry(request, call, entry_uuid) -> CallReviewerPool:
    entry = get_object_or_404(CallReviewerPool.objects.visible_to(request.user).select_related("reviewer__user"),
                              call=call, uuid=entry_uuid)
    require(can_manage_pool_entry(request.user, entry))
    return entry


@manages_call
def resend(request, call, entry_uuid):
    entry = managed_entry(request, call, entry_uuid)
    form = Form({})  # no fields: it carries a refusal (the entry's state) to its row
    with refusals_on(form):
        domain.resend_invitation(entry, actor=request.user)
    if form.refused:
        return render_pool(request, call, status=400, row_form=form, row_entry=entry.uuid)
    messages.success(request, f"The invitation to {entry.reviewer.user.full_name} is sent again.")
    return back_to_tab(request, call)


@manages_call
def force_accept(request, call, entry_uuid):
    entry = managed_entry(request, call, entry_uuid)
    form = ForceAcceptForm(request.POST)
    if form.is_valid():
        with refusals_on(form):
            domain.force_accept(entry, actor=request.user, reason=form.cleaned_data["override_reason"])
        if not form.refused:
            messages.success(request, f"{entry.reviewer.user.full_name} is accepted into the pool on your authority.")
            return back_to_tab(request, call)
    return render_pool(request, call, status=400, row_form=form, row_entry=entry.uuid)
