"""My profile: the signed-in user's own reviewer profile and its affiliations, expertise and
publications. Each view loads through `visible_to` (and the user's own profile only, so another
user's rows are 404), checks `can_write_profile`, calls one function of
`referee.reviewers.domain` (as `/api/reviewer-profiles/me/` and the nested row endpoints do), and
renders. With htmx a change answers the fragment it changed; without, a redirect (PRG). A refusal
answers 400 with the form and the domain's words beside the field."""

from dataclasses import dataclass

from django.contrib import messages
from django.forms.models import model_to_dict
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from referee.core.accounts import set_time_zone
from referee.core.predicates import is_read_only
from referee.reviewers import domain
from referee.reviewers.models import ReviewerAffiliation, ReviewerExpertise, ReviewerProfile, ReviewerPublication
from referee.reviewers.predicates import can_write_profile
from referee.reviewers.serializers_profiles import attach_profile_rows
from referee.web.pages import refusals_on, require, signed_in
from referee.web.profile.forms import AffiliationForm, ExpertiseForm, ProfileForm, PublicationForm, TimeZoneForm


@dataclass(frozen=True)
class Kind:
    """One kind of nested row: its model, its form, and what the page calls it."""

    key: str
    model: type
    form: type
    title: str
    noun: str
    rows_attr: str  # where `attach_profile_rows` puts the profile's rows of this kind

    def rows(self, profile) -> list:
        return getattr(profile, self.rows_attr)


KINDS = {kind.key: kind for kind in (
    Kind("affiliations", ReviewerAffiliation, AffiliationForm, "Affiliations", "affiliation", "affiliations_rows"),
    Kind("expertise", ReviewerExpertise, ExpertiseForm, "Expertise", "keyword", "expertise_set_rows"),
    Kind("publications", ReviewerPublication, PublicationForm, "Publications", "publication", "publications_rows"),
)}


def _own_profile(user, *, with_rows=True):
    """The user's profile, `with_rows` it renders (a constant number of queries), or None."""
    profile = ReviewerProfile.objects.visible_to(user).filter(user=user).select_related("user").first()
    if profile is not None and with_rows:
        attach_profile_rows([profile])
    return profile


def _kind(key) -> Kind:
    if key not in KINDS:
        raise Http404
    return KINDS[key]


def _own_row(request, kind, uuid):
    """A row of the user's own profile (another user's row, visible or not, is 404 here)."""
    rows = kind.model.objects.visible_to(request.user).filter(profile__user=request.user)
    return get_object_or_404(rows.select_related("profile"), uuid=uuid)


def _new_form(kind, data=None):
    return kind.form(data, prefix=f"{kind.key}-new")


def _edit_form(kind, row, data=None):
    form = kind.form(data, prefix=f"{kind.key}-{row.uuid.hex}", initial=model_to_dict(row, fields=kind.form.base_fields))
    # Swapped in where the row was: the keyboard's focus goes to its first field.
    next(iter(form.fields.values())).widget.attrs["autofocus"] = True
    return form


def _page(request, profile, status=200, profile_form=None, new_forms=None):
    writable = can_write_profile(request.user, profile)
    if profile_form is None and writable:
        initial = model_to_dict(profile, fields=ProfileForm.base_fields) if profile else {}
        profile_form = ProfileForm(initial=initial)
    new_forms = new_forms or {}
    sections = [_section(kind, profile, new_forms.get(kind.key), writable) for kind in KINDS.values()] if profile else []
    return render(request, "web/profile/page.html", {
        "profile": profile, "writable": writable, "profile_form": profile_form, "sections": sections,
        "zone_form": TimeZoneForm(initial={"time_zone": request.user.time_zone}),
        "zone_writable": not is_read_only(request.user),
    }, status=status)


def _section(kind, profile, form, writable, status_text=""):
    rows = kind.rows(profile)
    return {"kind": kind, "rows": rows, "writable": writable, "status_text": status_text,
            "form": (form or _new_form(kind)) if writable else None,
            "open": bool(not rows or status_text or (form is not None and form.errors))}


@signed_in
@require_http_methods(["GET", "POST"])
def my_profile(request):
    """GET the page; POST saves the biography, ORCID and availability, creating the profile the
    first time (`POST me/`: `domain.save_own_profile`)."""
    profile = _own_profile(request.user)
    if request.method == "GET":
        return _page(request, profile)
    require(can_write_profile(request.user, profile))
    form = ProfileForm(request.POST)
    if form.is_valid():
        with refusals_on(form):
            domain.save_own_profile(request.user, form.cleaned_data)
    if not form.is_valid() or form.refused:
        if request.htmx:
            return render(request, "web/profile/about.html", {"profile": profile, "profile_form": form}, status=400)
        return _page(request, profile, status=400, profile_form=form)
    if request.htmx and profile is not None:
        return render(request, "web/profile/about.html", {"profile": profile, "profile_form": form, "saved": True})
    messages.success(request, "Profile saved.")
    return redirect("my-profile")


@signed_in
@require_POST
def publish(request):
    """Publish or unpublish the profile (`POST me/publish/`, `me/unpublish/`): `published` 1 or 0."""
    profile = _own_profile(request.user, with_rows=False)
    if profile is None:
        raise Http404
    require(can_write_profile(request.user, profile))
    if request.POST.get("published") not in ("1", "0"):
        return HttpResponseBadRequest("published must be 1 or 0")
    profile = domain.set_published(request.user, request.POST["published"] == "1")
    if request.htmx:
        return render(request, "web/profile/publishing.html", {"profile": profile, "writable": True, "saved": True})
    return redirect("my-profile")


@signed_in
@require_POST
def time_zone(request):
    """The zone the pages show this user's times in (`core.accounts.set_time_zone`)."""
    require(not is_read_only(request.user))
    form = TimeZoneForm(request.POST)
    if form.is_valid():
        with refusals_on(form):
            set_time_zone(request.user, form.cleaned_data["time_zone"])
        if not form.refused:
            if request.htmx:
                return render(request, "web/profile/time_zone.html", {"zone_form": TimeZoneForm(
                    initial={"time_zone": request.user.time_zone}), "zone_writable": True, "saved": True})
            return redirect("my-profile")
    return render(request, "web/profile/time_zone.html", {"zone_form": form, "zone_writable": True}, status=400)


@signed_in
@require_POST
def add_row(request, key):
    """Add an affiliation, keyword or publication (`POST .../<rows>/`: `domain.create_profile_item`)."""
    kind = _kind(key)
    profile = _own_profile(request.user, with_rows=False)
    if profile is None:
        raise Http404
    require(can_write_profile(request.user, profile))
    form = _new_form(kind, request.POST)
    if form.is_valid():
        with refusals_on(form):
            domain.create_profile_item(profile, kind.model, form.cleaned_data, actor=request.user)
    if not form.is_valid() or form.refused:
        if request.htmx:
            return _section_response(request, kind, _own_profile(request.user), form, status=400)
        return _page(request, _own_profile(request.user), status=400, new_forms={kind.key: form})
    if request.htmx:
        return _section_response(request, kind, _own_profile(request.user), None, f"{kind.noun.capitalize()} added.")
    return redirect(reverse("my-profile") + f"#{kind.key}")


def _section_response(request, kind, profile, form, status_text="", status=200):
    section = _section(kind, profile, form, writable=True, status_text=status_text)
    # The section is swapped whole: the keyboard's focus goes to the field refused, else the first.
    fields = section["form"].fields
    focus = next((name for name in fields if name in section["form"].errors), next(iter(fields)))
    fields[focus].widget.attrs["autofocus"] = True
    return render(request, "web/profile/section.html", {"section": section}, status=status)


@signed_in
@require_GET
def row(request, key, uuid):
    """A row as shown on the page (htmx: what Cancel puts back); without htmx, the page at it."""
    kind = _kind(key)
    item = _own_row(request, kind, uuid)
    if not request.htmx:
        return redirect(reverse("my-profile") + f"#row-{item.uuid.hex}")
    return _row_response(request, kind, item, focus="edit")


def _row_response(request, kind, item, status_text="", focus=""):
    """The row as shown; `focus` names the control the keyboard's focus returns to ("edit",
    "exclude") after the row is swapped in."""
    return render(request, "web/profile/row.html", {
        "kind": kind, "row": item, "writable": can_write_profile(request.user, item.profile), "status_text": status_text,
        "focus": focus})


@signed_in
@require_http_methods(["GET", "POST"])
def edit_row(request, key, uuid):
    """GET the row's form (in place with htmx, else a page of its own); POST saves it
    (`PATCH .../<rows>/<uuid>/`: `domain.update_profile_item`)."""
    kind = _kind(key)
    item = _own_row(request, kind, uuid)
    require(can_write_profile(request.user, item.profile))
    if request.method == "GET":
        return _edit_response(request, kind, item, _edit_form(kind, item))
    form = _edit_form(kind, item, request.POST)
    if form.is_valid():
        with refusals_on(form):
            item = domain.update_profile_item(item, form.cleaned_data, actor=request.user)
    if not form.is_valid() or form.refused:
        return _edit_response(request, kind, item, form, status=400)
    if request.htmx:
        return _row_response(request, kind, item, f"{kind.noun.capitalize()} saved.", focus="edit")
    return redirect(reverse("my-profile") + f"#row-{item.uuid.hex}")


def _edit_response(request, kind, item, form, status=200):
    template = "web/profile/row_form.html" if request.htmx else "web/profile/edit.html"
    return render(request, template, {"kind": kind, "row": item, "form": form}, status=status)


@signed_in
@require_POST
def exclude_publication(request, uuid):
    """Leave a publication out of matching, or take it back in (`excluded` 1 or 0): the
    publication's `is_excluded_from_matching`, through `domain.update_profile_item`."""
    kind = KINDS["publications"]
    item = _own_row(request, kind, uuid)
    require(can_write_profile(request.user, item.profile))
    if request.POST.get("excluded") not in ("1", "0"):
        return HttpResponseBadRequest("excluded must be 1 or 0")
    item = domain.update_profile_item(item, {"is_excluded_from_matching": request.POST["excluded"] == "1"},
                                      actor=request.user)
    if request.htmx:
        text = "left out of matching" if item.is_excluded_from_matching else "used for matching"
        return _row_response(request, kind, item, f"Publication {text}.", focus="exclude")
    return redirect(reverse("my-profile") + f"#row-{item.uuid.hex}")


@signed_in
@require_POST
def remove_row(request, key, uuid):
    """Remove a row (`DELETE .../<rows>/<uuid>/`: `domain.delete_profile_item`)."""
    kind = _kind(key)
    item = _own_row(request, kind, uuid)
    require(can_write_profile(request.user, item.profile))
    domain.delete_profile_item(item, actor=request.user)
    if request.htmx:
        return _section_response(request, kind, _own_profile(request.user), None, f"{kind.noun.capitalize()} removed.")
    return redirect(reverse("my-profile") + f"#{kind.key}")
