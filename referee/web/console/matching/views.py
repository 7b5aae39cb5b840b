"""The Matching tab: the call's matching and COI configurations, its affinities (computed by a
background job whose progress shows, drawn as a clustered heatmap, and each proposal's best
reviewers), conflict detection
with its progress, and the conflicts with their review actions (`conflict_views`).

Each action loads the call through the console's access decorators (`visible_to`, then
`can_read_call_management` / `can_manage_call`), calls the one domain function the API calls
(`calls.domain.update_*_configuration`, `assignments.matching_jobs.start_affinity_job`), and
answers the section it changed (htmx) or redirects to the tab (plain POST); a refusal answers
400 with the API's words beside the field."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from referee.assignments.affinities import cache_state
from referee.assignments.heatmap_requests import request_layout
from referee.assignments.matching_jobs import cancel_job, start_affinity_job
from referee.assignments.models import MatchingJob
from referee.assignments.predicates import can_manage_matching_job
from referee.assignments.queries import affinity_layout, best_reviewers, heatmap_cells
from referee.calls import domain
from referee.calls.predicates import can_manage_call
from referee.web.console.access import manages_call, reads_call
from referee.web.console.job_progress import cancel_in_place, progress_fragment
from referee.web.console.matching.forms import COI_RULE_COLUMNS, COIConfigurationForm, MatchingConfigurationForm
from referee.web.console.matching.sections import (
    affinity_job_progress,
    affinity_job_section,
    conflicts_section,
    detection_section,
    page_links,
)
from referee.web.console.views import render_tab
from referee.web.pages import refusals_on, require
from referee.web.plots import heatmap

TEMPLATE = "web/console/matching/tab.html"
BEST_PER_PAGE = 20


def tab(request, call, *, status: int = 200, **replaced):
    """The whole tab; `replaced` puts a refused form (and its errors) in place of a fresh one."""
    can_manage = can_manage_call(request.user, call)
    context = {
        "matching_form": MatchingConfigurationForm.of(call.matching_config, read_only=not can_manage),
        "coi_form": COIConfigurationForm.of(call.coi_config, read_only=not can_manage),
        "coi_rules": COI_RULE_COLUMNS,
        **affinities_section(request, call, can_manage=can_manage),
        **detection_section(call, can_manage=can_manage),
        **conflicts_section(request, call),
    }
    return render_tab(request, call, TEMPLATE, {**context, **replaced}, status=status, tab="matching")


def tab_url(call, anchor: str) -> str:
    return f"{reverse('console', args=[call.uuid])}?tab=matching#{anchor}"


def refused(form) -> bool:
    """Whether a bound form was refused: by its own checks or by the domain (`refusals_on`)."""
    return bool(form.errors) or getattr(form, "refused", False)


def answer(request, call, *, form, refused: bool, key: str, section: str, context: dict, done: str):
    """What every action of the tab answers. Refused: 400 with `form` under `key`, as its section
    (htmx) or the whole tab. Done: the section with `done` as its status line (htmx), else a
    redirect to the tab at the section (PRG) with `done` as the page's message."""
    if request.htmx:
        return render(request, f"web/console/matching/{section}.html", {
            "call": call, "can_manage": True, key: form, "done": "" if refused else done, **context,
        }, status=400 if refused else 200)
    if refused:
        return tab(request, call, status=400, **{key: form})
    messages.success(request, done)
    return redirect(tab_url(call, section))


def _configuration(request, call, form_class, key, section, update, done):
    form = form_class(request.POST)
    if form.is_valid():
        with refusals_on(form):
            config = update(call, actor=request.user, changes=form.cleaned_data)
    was_refused = refused(form)
    if not was_refused:
        form = form_class.of(config)  # as saved (the domain may have normalised the lists)
    return answer(request, call, form=form, refused=was_refused, key=key, section=section, done=done,
                  context={"coi_rules": COI_RULE_COLUMNS})


@manages_call
def matching_configuration(request, call):
    return _configuration(request, call, MatchingConfigurationForm, "matching_form", "configuration",
                          domain.update_matching_configuration, "Matching configuration saved.")


@manages_call
def coi_configuration(request, call):
    return _configuration(request, call, COIConfigurationForm, "coi_form", "coi_configuration",
                          domain.update_coi_configuration, "Conflict of interest rules saved.")


# --- affinities ----------------------------------------------------------------------------------


def affinities_section(request, call, *, can_manage: bool) -> dict:
    """The latest computation (a job, with its progress); when the scores were computed and
    whether they are stale; their heatmap and one page of proposals with their best reviewers
    (`best_page`), in the heatmap's order, once a worker has arranged them (`preparing` until
    then: the section polls itself)."""
    state = {"affinity_state": cache_state(call), **affinity_job_section(call, can_manage=can_manage)}
    layout = affinity_layout(call, state["affinity_state"])
    if layout is None and state["affinity_state"].computed_at is not None:
        if not request_layout(call, state["affinity_state"]):
            return {**state, "no_worker": True}
        layout = affinity_layout(call, state["affinity_state"])  # made already where tasks run eagerly
    if layout is None or not layout.complete:
        return {**state, "preparing": layout is None and state["affinity_state"].computed_at is not None}
    cells = heatmap_cells(layout)
    n_proposals, n_reviewers = len(layout.proposal_ids), len(layout.reviewer_ids)
    title = f"Affinity of {n_proposals} proposals × {n_reviewers} reviewers, similar ones together"
    if cells.aggregated:
        title += f" (each cell the mean of a block of about {max(1, n_proposals // len(cells.row_labels))} × "\
                 f"{max(1, n_reviewers // len(cells.column_labels))})"
    page = Paginator(range(n_proposals), BEST_PER_PAGE).get_page(request.GET.get("best_page"))
    return {
        **state,
        "heatmap": heatmap("affinity-heatmap", title, cells.row_labels, cells.column_labels, cells.values),
        "best_page": page,
        "best": best_reviewers(call, layout, page.object_list),
        "best_links": page_links(request, call, page, "best_page", "best-reviewers"),
    }


@reads_call
@require_GET
def affinities(request, call):
    """The affinities section alone: what it polls while the heatmap is being prepared, and
    fetches again when its computation has ended."""
    can_manage = can_manage_call(request.user, call)
    return render(request, "web/console/matching/affinities.html", {
        "call": call, "can_manage": can_manage, **affinities_section(request, call, can_manage=can_manage)})


@manages_call
def compute(request, call):
    """Start the computation of every pair's affinity as a background job (what
    `start-affinity-job/` does); its progress is then polled. Refused (one is running, no worker),
    400 with the reason beside the button."""
    form = forms.Form(request.POST)
    with refusals_on(form):
        start_affinity_job(call, user=request.user)
    return answer(request, call, form=form, refused=refused(form), key="compute_form", section="affinities",
                  context=affinities_section(request, call, can_manage=True), done="Computation of affinities started.")


def _affinity_job(request, call, job_uuid) -> MatchingJob:
    jobs = MatchingJob.objects.visible_to(request.user).filter(call=call, kind=MatchingJob.Kind.AFFINITIES)
    return get_object_or_404(jobs, uuid=job_uuid)


@reads_call
@require_GET
def affinity_job(request, call, job_uuid):
    """The computation's progress fragment; polled while the job is active, and once it has ended
    it tells the section to redraw itself (its heatmap)."""
    job = _affinity_job(request, call, job_uuid)
    return progress_fragment(request, affinity_job_progress(call, job, can_manage=can_manage_call(request.user, call)))


@manages_call
def cancel_affinity_job(request, call, job_uuid):
    """Cancel a pending or running computation (`matching-jobs/{uuid}/cancel/`): nothing is written;
    the redrawn progress (htmx) or a redirect to the tab; refused (it has ended), 400 with the reason."""
    job = _affinity_job(request, call, job_uuid)
    require(can_manage_matching_job(request.user, job))
    form, fragment = cancel_in_place(request, job, cancel_job,
                                     lambda job: affinity_job_progress(call, job, can_manage=True))
    return fragment or answer(request, call, form=form, refused=form.refused, key="cancel_compute_form",
                              section="affinities", context=affinities_section(request, call, can_manage=True), done="Computation of affinities cancelled.")
