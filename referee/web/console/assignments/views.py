"""The Assignments tab (issue 13). Thin, as every page: the call comes through `access` (visible,
then the predicate), each action calls one domain function inside `refusals_on`, and the tab
reads its numbers from `assignments.preview_queries` and `assignments.comparison`. Generating a
preview and comparing the algorithms start background jobs, whose progress `jobs` shows. The
swap's second pair is found by name anywhere in the preview (`pairs`, or the tab's `swap_q`).

A plain POST redirects to the tab after success (PRG) and shows the whole tab with the refusal
beside its form (400) otherwise; an htmx POST gets the tab's panel redrawn in place."""

from dataclasses import replace

from django.contrib import messages
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from referee.assignments.comparison import changed_inputs, latest_comparison
from referee.assignments.domain import send_all_batches
from referee.assignments.domain.preview_edits import add_pair, remove_pair, start_preview, swap_pairs
from referee.assignments.domain.undo import undo_generation
from referee.assignments.generation import deploy_preview
from referee.assignments.matching_jobs import cancel_job, start_comparison_job
from referee.assignments.models import AssignmentBatch
from referee.assignments.panel_rules import rules_summary
from referee.assignments.predicates import can_manage_matching_job
from referee.assignments.preview_queries import (
    current_preview,
    deployed_generations,
    find_pairs,
    preview_coverage,
    preview_page,
    reviewer_loads,
)
from referee.calls.models import MatchingConfiguration
from referee.calls.predicates import can_manage_call
from referee.web import plots
from referee.web.console.access import manages_call, reads_call
from referee.web.console.assignments import jobs
from referee.web.console.assignments.forms import (
    ActionForm,
    AddForm,
    CompareForm,
    GenerateForm,
    PairSearchForm,
    PreviewForm,
    RemoveForm,
    SwapForm,
    UndoForm,
)
from referee.web.console.job_progress import cancel_in_place, progress_fragment
from referee.web.console.paging import Listing, page_of
from referee.web.console.views import render_tab
from referee.web.pages import refusals_on, require

KEY = "assignments"
TAB = "web/console/assignments/tab.html"
PANEL = "web/console/assignments/panel.html"
PARTNERS = "web/console/assignments/partners.html"
GENERATIONS_PER_PAGE = 10
KEPT = ("page", "generations", "swap_q")  # the preview's and the generations' pages, the swap's search
LOADS_SHOWN = 10  # most and least loaded reviewers in the loads plot, when there are more than twice as many


def tab(request, call):
    return _show(request, call)


@manages_call
def generate(request, call):
    def act(data):
        job = start_preview(call, user=request.user, algorithm=data["algorithm"],
                            reviewers_per_proposal=data["reviewers_per_proposal"])
        return _started(job, "Preview ready: nothing is sent until you deploy it.",
                        "Generating the preview in the background: its progress shows below.")

    return _act(request, call, GenerateForm(request.POST, config=call.matching_config), "generate_form", act)


@manages_call
def compare(request, call):
    """The three solvers on this call, as a background job (three solves)."""
    def act(data):
        job = start_comparison_job(call, user=request.user, reviewers_per_proposal=data["reviewers_per_proposal"])
        return _started(job, "Comparison ready.", "Comparing the algorithms in the background: its progress "
                        "shows below.")

    return _act(request, call, CompareForm(request.POST, config=call.matching_config), "compare_form", act)


def _started(job, done: str, queued: str) -> str:
    """What the page says of a job just started; where tasks run at once (tests) it has ended."""
    job.refresh_from_db()
    return done if job.state == job.State.COMPLETED else queued


@reads_call
@require_GET
def job_progress(request, call, job_uuid):
    """A job's progress fragment; it polls itself again only while the job is active, and once
    it has ended it tells the panel to reload."""
    job = jobs.tab_job(request, call, job_uuid)
    return progress_fragment(request, jobs.job_progress(job, can_manage=can_manage_call(request.user, call)))


@manages_call
def cancel(request, call, job_uuid):
    """Cancel a pending or running job (`matching-jobs/{uuid}/cancel/`): its redrawn fragment
    (htmx) or the tab; refused (it has ended), 400 with the reason beside the job."""
    job = jobs.tab_job(request, call, job_uuid)
    require(can_manage_matching_job(request.user, job))
    form, fragment = cancel_in_place(request, job, cancel_job, lambda job: jobs.job_progress(job, can_manage=True))
    refused = replace(jobs.job_progress(job, can_manage=True), cancel_form=form)
    return fragment or _answered(request, call, form, f"{job.kind}_job", "Cancelled: nothing was written.", refused)


@reads_call
@require_GET
def pairs(request, call):
    """The pairs of the preview a name finds, for the swap's second pair (htmx fragment): only
    for who may swap; a search too long is a 400 beside its field."""
    require(can_manage_call(request.user, call))
    context = _partners(call, request.GET, current_preview(call))
    return render(request, PARTNERS, {"call": call, **context}, status=400 if context["swap_search"].errors else 200)


def _partners(call, params, preview) -> dict:
    """The swap's search (`swap_q`) and the page (`swap_page`) of the undeployed preview's pairs
    it finds: None before a search."""
    search = PairSearchForm(params)
    asked = search.is_valid() and search.cleaned_data["swap_q"]
    found = find_pairs(call, asked, params.get("swap_page")) if asked and preview and not preview.deployed_at else None
    return {"swap_search": search, "found": found}


@manages_call
def deploy(request, call):
    def act(data):
        result = deploy_preview(call, user=request.user, preview_uuid=data["preview"])
        items, batches = result.items_created, result.batches_created
        return f"Deployed: {items} draft item{pluralize(items)}, {batches} new draft batch{pluralize(batches, 'es')}."

    return _act(request, call, PreviewForm(request.POST), "deploy_form", act)


@manages_call
def undo(request, call):
    """Undo one deployed generation of the "Deployed generations" list, whichever it is."""
    def act(data):
        result = undo_generation(call, actor=request.user, generation_uuid=data["generation"])
        items, batches = result.items_withdrawn, result.batches_deleted
        return (f"Undone: {items} draft item{pluralize(items)} withdrawn, {batches} draft batch{pluralize(batches, 'es')} "
                "deleted." + (f" {result.items_kept} already sent stay: cancel their batches on the Batches tab to "
                              "withdraw them." if result.items_kept else "")
                + (" The preview is back and can be edited or deployed again." if result.preview_returned else ""))

    return _act(request, call, UndoForm(request.POST), "undo_form", act)


@manages_call
def send_all(request, call):
    def act(data):
        result = send_all_batches(call, actor=request.user)
        return f"Sent {result['batches_sent']} batches" + (
            f"; {result['skipped']} could not be sent (see the Batches tab)." if result["skipped"] else ".")

    return _act(request, call, ActionForm(request.POST), "send_form", act)


@manages_call
def remove(request, call):
    def act(data):
        remove_pair(call, actor=request.user, pair_uuid=data["pair"], reason=data["reason"])
        return "Pair removed from the preview."

    return _act(request, call, RemoveForm(request.POST), "remove_form", act)


@manages_call
def add(request, call):
    def act(data):
        add_pair(call, actor=request.user, proposal_uuid=data["proposal"], pool_entry_uuid=data["reviewer"],
                 reason=data["reason"])
        return "Pair added to the preview."

    return _act(request, call, AddForm(request.POST), "add_form", act)


@manages_call
def swap(request, call):
    def act(data):
        swap_pairs(call, actor=request.user, first_uuid=data["first"], second_uuid=data["second"], reason=data["reason"])
        return "Reviewers swapped."

    return _act(request, call, SwapForm(request.POST), "swap_form", act)


def _act(request, call, form, name: str, act):
    """Validate `form`, then `act(cleaned_data)` (one domain call; returns the success message)
    with its refusals beside the form, named `name` in the tab's context."""
    message = ""
    if form.is_valid():
        with refusals_on(form):
            message = act(form.cleaned_data)
    return _answered(request, call, form, name, message)


def _answered(request, call, form, name: str, message: str, refused=None):
    """`refused` is what the page shows under `name` when `form` was refused (the form itself)."""
    page = request.POST.get("page", "")
    if not form.is_valid():
        return _show(request, call, status=400, page=page, **{name: refused or form})
    if request.htmx:
        return _show(request, call, page=page, message=message)
    messages.success(request, message)
    return redirect(reverse("console", args=[call.uuid]) + "?" + urlencode({"tab": KEY, **_kept(request)}))


def _kept(request) -> dict:
    """What the posted form was showing: its pages, the swap's search."""
    return {key: request.POST[key] for key in KEPT if request.POST.get(key)}


def _show(request, call, *, status: int = 200, page=None, **context):
    page = page or request.GET.get("page")
    # The tab frame marks the current tab from the query string, which an action's URL lacks.
    query = request.GET.copy()
    for key, value in {"tab": KEY, **_kept(request)}.items():
        query[key] = value  # QueryDict.update would add a second value
    request.GET = query
    can_manage = can_manage_call(request.user, call)
    context = {**_context(call, page, can_manage=can_manage), **context, "generations": _generations(request, call)}
    if can_manage:
        context.update(_partners(call, request.GET, context["preview"]))
    context["reviewer_options"] = _reviewer_options(context.get("loads", []), context["add_form"])
    return render_tab(request, call, PANEL if request.htmx else TAB, context, status=status)


def _generations(request, call) -> Listing:
    """A page of the call's deployed generations; its links lead to the tab, whatever URL (an
    action's, after a refusal) the page answers."""
    listing = page_of(request, deployed_generations(call), param="generations", per_page=GENERATIONS_PER_PAGE)
    tab = reverse("console", args=[call.uuid])
    listing.previous_url = listing.previous_url and tab + listing.previous_url
    listing.next_url = listing.next_url and tab + listing.next_url
    return listing


def _reviewer_options(loads, form) -> str:
    """The add form's reviewer options, written here: 1,500 options through the template
    language (or `format_html` each) took most of the tab's time. Only the names need escaping."""
    chosen = str(form["reviewer"].value() or "")
    return mark_safe("".join(
        f'<option value="{x.entry_uuid}"{" selected" if str(x.entry_uuid) == chosen else ""}>{escape(x.name)} '
        f'({x.load} of {x.maximum})</option>' for x in loads))


def _context(call, page_number, *, can_manage: bool) -> dict:
    config = MatchingConfiguration.objects.get(call=call)  # an action may just have changed the algorithm
    preview = current_preview(call)
    context = {
        "generate_form": GenerateForm(config=config, initial={
            "algorithm": config.algorithm, "reviewers_per_proposal": preview.reviewers_per_proposal if preview else None}),
        "compare_form": CompareForm(config=config),
        **jobs.latest_jobs(call, can_manage=can_manage), **_comparison(call, preview),
        "add_form": AddForm(), "swap_form": SwapForm(), "remove_form": None,
        "deploy_form": PreviewForm(), "undo_form": UndoForm(), "send_form": ActionForm(),
        "preview": preview, "config": config,
        "drafts": AssignmentBatch.objects.filter(call=call, status=AssignmentBatch.Status.DRAFT).count(),
    }
    if preview is None:
        return context
    loads = reviewer_loads(call, config)
    report = preview.report
    short = [s for s in report.get("skipped_proposals", []) if s.get("required")]
    context.update({
        "shown": preview_page(call, preview, page_number), "loads": loads, "short": short,
        "diagnosis": report.get("diagnosis") or [], "rule_summary": rules_summary(call, config, preview),
    })
    if preview.deployed_at is None:
        coverage = preview_coverage(call, preview, config)
        context["now"] = {"short": sum(c.short for c in coverage), "total": round(sum(c.total for c in coverage), 4)}
        context["plots"] = _plots(loads, coverage, context["now"]["short"])
    return context


def _comparison(call, preview) -> dict:
    """The latest completed comparison, and what the current preview's solve saw differently."""
    comparison = latest_comparison(call)
    if comparison is None:
        return {"comparison": None}
    return {"comparison": comparison, "comparison_changes": changed_inputs(comparison, preview) if preview else None}


def _plots(loads, coverage, short: int) -> list:
    """The preview as it is now (`preview_coverage`: its current rows), edits included."""
    totals = [c for c in coverage if c.wanted or c.previewed]  # a proposal already covered wants none
    values = [c.total for c in totals]
    worst = min(range(len(values)), key=values.__getitem__) if values else None
    shown = sorted(loads, key=lambda x: (x.load, x.entry_id))
    if len(shown) > 2 * LOADS_SHOWN:
        shown = shown[:LOADS_SHOWN] + shown[-LOADS_SHOWN:]
    return [
        plots.distribution("preview-totals", "Each proposal's total affinity in the preview (worst-off in red)",
                           values, [c.name for c in totals], value_name="total affinity", highlight=worst),
        plots.bars("preview-loads", "Reviewer loads once deployed, against their minimum and maximum"
                   + (f" ({LOADS_SHOWN} least and {LOADS_SHOWN} most loaded)" if len(loads) > 2 * LOADS_SHOWN else ""),
                   [plots.Bar(x.name, x.load, x.minimum, x.maximum,
                              highlight=not x.minimum <= x.load <= x.maximum) for x in shown],
                   value_name="assignments"),
        plots.bars("preview-coverage", "Coverage: proposals with all their reviewers, and short ones", [
            plots.Bar("fully assigned", len(coverage) - short),
            plots.Bar("short", short, highlight=bool(short))], value_name="proposals"),
    ]
