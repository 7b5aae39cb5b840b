"""The progress of a call's background job on a console tab (conflict detection, affinities, a
generation): one fragment, `web/console/job_progress.html`, for every kind of job.

A tab describes its job as a `JobProgress` (numbers, URLs and words; nothing about the model)
and includes the fragment where the job shows, inside a live region that stays:

    <div aria-live="polite">{% include "web/console/job_progress.html" with progress=progress %}</div>

Its own routes answer the fragment alone with `progress_fragment(request, progress)`: the GET
the fragment polls every second while the job is pending or running (`poll_url`); the POST of
its cancel button (`cancel_url`) calls `cancel_in_place`, which runs the domain's cancel and
answers htmx with the redrawn fragment (a refusal in it, 400), or None for a plain POST (the
tab then redirects, or redraws itself with the refusal). When a poll finds the job ended, the
answer carries the htmx event `ended_event` (if set), on which the tab may redraw what the job
changed (`hx-trigger="<event> from:body"` on that part).

A MatchingJob (affinities, generation, comparison) maps through `matching_job_progress`: the
Matching tab's `matching.sections.affinity_job_progress` and the Assignments tab's
`assignments.jobs.job_progress` use it; `matching.sections.detection_job_progress` maps a
detection job."""

from dataclasses import dataclass, replace

from django import forms
from django.shortcuts import render

from referee.conflicts.enums import JobState  # the states of every job (MatchingJob shares them)
from referee.web.pages import refusals_on

TEMPLATE = "web/console/job_progress.html"
ACTIVE = (JobState.PENDING, JobState.RUNNING)


@dataclass(frozen=True)
class JobProgress:
    key: str  # the ids: "<key>-progress" (the fragment) and "<key>-bar" (its bar)
    name: str  # what the job is, after "Latest ": "detection", "computation"
    state: str  # the job's state (core.enums.JobState)
    state_label: str  # the state in words ("Running")
    processed: int
    total: int  # 0 while unknown: the bar is then indeterminate
    bar_label: str  # what the bar counts ("Reviewer × proposal pairs checked")
    summary: str  # the numbers in words ("4 of 10 pairs checked (40.0%); 1 conflict found.")
    poll_url: str  # this fragment (GET)
    stage: str = ""  # what the job is doing now, in words
    message: str = ""  # the job's error (failed) or how it was cancelled
    cancel_url: str = ""  # POST; "" when this user may not cancel (support reads)
    cancel_label: str = "Cancel"
    done_url: str = ""  # a link once the job has completed, to what it made
    done_label: str = ""
    ended_event: str = ""  # htmx event sent when a poll finds the job ended
    cancel_form: object = None  # a refused cancel's form (its error is shown)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def pending(self) -> bool:
        return self.state == JobState.PENDING

    @property
    def failed(self) -> bool:
        return self.state == JobState.FAILED

    @property
    def completed(self) -> bool:
        return self.state == JobState.COMPLETED

    @property
    def percentage(self) -> float:
        return round(100.0 * self.processed / self.total, 1) if self.total else 0.0


def matching_job_progress(job, *, key: str, name: str, bar_label: str, poll_url: str, cancel_url: str,
                          cancel_label: str, ended_event: str = "") -> JobProgress:
    """A MatchingJob's progress: its steps done of its total, its stage, its error or how it was
    cancelled. `cancel_url` is "" for a user who may not cancel it."""
    return JobProgress(
        key=key, name=name, state=job.state, state_label=job.get_state_display(), processed=job.processed,
        total=job.total, bar_label=bar_label, stage=job.stage, message=job.error_message,
        summary=f"{job.processed} of {job.total} steps done ({job.progress_percentage}%).",
        poll_url=poll_url, cancel_url=cancel_url, cancel_label=cancel_label, ended_event=ended_event)


def progress_fragment(request, progress: JobProgress, *, cancel_form=None):
    """The fragment alone; 400 with the refusal when `cancel_form` was refused."""
    refused = cancel_form is not None and bool(cancel_form.errors)
    response = render(request, TEMPLATE, {"progress": replace(progress, cancel_form=cancel_form)},
                      status=400 if refused else 200)
    # Polls only: a cancel's answer redraws the fragment, which a tab's reload would replace (and
    # with it a refusal shown beside the job).
    if progress.ended_event and not progress.active and cancel_form is None:
        response["HX-Trigger"] = progress.ended_event
    return response


def cancel_in_place(request, job, cancel, progress_of):
    """Cancel `job` with the domain's `cancel(job, user=)`, refused in its words: (the form, with
    the refusal if any; the redrawn fragment for htmx, else None: the tab answers, PRG).
    `progress_of(job)` is the job's JobProgress."""
    form = forms.Form(request.POST)
    with refusals_on(form):
        cancel(job, user=request.user)
    job.refresh_from_db()
    return form, (progress_fragment(request, progress_of(job), cancel_form=form) if request.htmx else None)
