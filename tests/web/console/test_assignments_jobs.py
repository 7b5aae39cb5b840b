"""The Assignments tab's background jobs (issue 13): Generate and Compare start matching jobs,
whose progress fragment readers poll and managers cancel; a refused start is said beside the
buttons; a completed poll makes the panel reload; the comparison says whether the preview saw
its inputs. Tasks run after commit here only where a test executes the captured callbacks."""

import pytest

from referee.assignments.domain.preview_edits import start_preview
from referee.assignments.matching_jobs import start_comparison_job, start_generation_job
from referee.assignments.models import GenerationPreview, MatchingJob
from referee.calls.models import MatchingConfiguration
from tests import factories as f
from tests.engine.test_generation import build_call
from tests.engine.test_matching_jobs import run_now
from tests.helpers import count_queries, html, role_matrix, role_user, signed_in
from tests.web.console.helpers import READ, acting, tab_url
from tests.web.console.test_assignments import action, ready  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


def job_url(job, end: str = "") -> str:
    return f"/call/{job.call.uuid}/manage/assignments/jobs/{job.uuid}/{end}"


def pending(world, kind="comparison") -> MatchingJob:
    """A job its worker has not taken yet (no callback runs here), as a poll would find it."""
    start = start_comparison_job if kind == "comparison" else start_generation_job
    return start(world.call, user=world.manager)


@role_matrix(READ)
def test_the_progress_fragment_is_for_readers_and_polls_while_active(client, world, role, expected):
    job = pending(world)
    MatchingJob.objects.filter(pk=job.pk).update(state="running", processed=2, stage="Solving with fairflow")
    response = signed_in(client, role_user(world, role)).get(job_url(job))
    assert response.status_code == expected
    if expected != 200:
        return
    page = html(response)
    assert f'hx-get="{job_url(job)}" hx-trigger="every 1s"' in page
    assert "Running</strong>" in page and "Now: Solving with fairflow" in page and "2 of 5 steps done (40.0%)" in page
    assert ("Cancel the comparison of the algorithms</button>" in page) == (role != "support")
    assert "HX-Trigger" not in response


def test_a_poll_that_finds_its_job_ended_stops_and_makes_the_panel_reload(client, world):
    job = run_now(start_comparison_job, world.call, user=world.manager)
    response = signed_in(client, world.manager).get(job_url(job), HTTP_HX_REQUEST="true")
    page = html(response)
    assert response["HX-Trigger"] == "assignments-job-ended" and "hx-get" not in page
    assert "Completed</strong>" in page and "5 of 5 steps done (100.0%)" in page
    tab = html(client.get(tab_url(world.call, "assignments")))
    assert 'hx-trigger="assignments-job-ended from:body" hx-target="#assignments-panel"' in tab


def test_another_calls_job_is_not_found_here(client, world):
    job = pending(world)
    assert signed_in(client, world.staff).get(f"/call/{world.other_call.uuid}/manage/assignments/jobs/{job.uuid}/"
                                              ).status_code == 404
    affinities = MatchingJob.objects.create(call=world.call, kind="affinities")  # not this tab's kind
    assert client.get(job_url(affinities)).status_code == 404


@role_matrix(acting(302))
def test_cancel_is_for_managers_and_staff(client, world, role, expected):
    job = pending(world, "generation")
    response = signed_in(client, role_user(world, role)).post(job_url(job, "cancel/"))
    assert response.status_code == expected
    job.refresh_from_db()
    assert (job.state == "cancelled") == (expected == 302 and role != "anonymous")


def test_cancel_with_htmx_redraws_the_fragment_and_a_finished_job_is_refused_in_words(client, world):
    job = pending(world)
    signed_in(client, world.manager)
    response = client.post(job_url(job, "cancel/"), HTTP_HX_REQUEST="true")
    page = html(response)
    assert response.status_code == 200 and '<div id="comparison-progress"' in page
    assert "Cancelled</strong>" in page and "before anything was written" in page and "hx-get" not in page
    assert "HX-Trigger" not in response  # a cancel's answer is the fragment itself: no panel reload
    refusal = "This job has already cancelled: only a pending or running job can be cancelled."
    for headers in ({"HTTP_HX_REQUEST": "true"}, {}):
        refused = client.post(job_url(job, "cancel/"), **headers)
        assert refused.status_code == 400 and "HX-Trigger" not in refused
        fragment = html(refused).split('<div id="comparison-progress"', 1)[1]
        assert refusal in fragment.split("</div>", 1)[0]  # beside the job, in its fragment


def test_generate_starts_a_job_whose_progress_the_panel_shows(client, world, django_capture_on_commit_callbacks):
    signed_in(client, world.manager)
    queued = client.post(action(world.call, "generate"), {"algorithm": "fairflow"}, HTTP_HX_REQUEST="true")
    page = html(queued)
    job = MatchingJob.objects.get(call=world.call, kind="generation")
    assert "Generating the preview in the background" in page and f'hx-get="{job_url(job)}"' in page
    assert job.parameters == {"dry_run": True, "proposal_uuids": None, "reviewers_per_proposal": None}
    MatchingJob.objects.filter(pk=job.pk).update(state="cancelled")
    with django_capture_on_commit_callbacks(execute=True):  # its worker runs it after commit
        assert client.post(action(world.call, "generate"), {"algorithm": "fairflow"}).status_code == 302
    page = html(client.get(tab_url(world.call, "assignments")))
    assert 'id="preview-title"' in page and "Completed</strong>" in page and "2 of 2 steps done" in page
    assert GenerationPreview.objects.filter(call=world.call).exists()
    assert MatchingConfiguration.objects.get(call=world.call).algorithm == "fairflow"


def test_a_refused_start_is_said_beside_the_buttons_and_changes_no_setting(client, world, settings):
    pending(world, "generation")
    pending(world, "comparison")
    signed_in(client, world.manager)
    refused = client.post(action(world.call, "generate"), {"algorithm": "hungarian"})
    assert refused.status_code == 400
    assert "The generation of assignments is already pending or running for this call." in html(refused)
    assert MatchingConfiguration.objects.get(call=world.call).algorithm == "minmax"
    refused = client.post(action(world.call, "compare"), {}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 400
    assert "The comparison of the algorithms is already pending or running for this call." in html(refused)
    settings.CELERY_TASK_ALWAYS_EAGER = False  # and no worker has reported in
    MatchingJob.objects.update(state="cancelled")
    refused = client.post(action(world.call, "compare"), {})
    assert refused.status_code == 400 and "no background worker is running" in html(refused)


def test_the_comparison_says_which_inputs_the_preview_saw_differently(client, ready):  # noqa: F811
    run_now(start_comparison_job, ready.call, user=ready.manager)
    f.conflict(ready.entry2.reviewer, ready.proposal)
    run_now(start_preview, ready.call, user=ready.manager, algorithm="minmax")
    page = html(signed_in(client, ready.support).get(tab_url(ready.call, "assignments")))
    assert "was solved on other inputs than this comparison: the blocking conflicts of interest." in page


def test_the_fragment_costs_the_same_queries_however_large_the_call(client):
    small, large = build_call(2, 2), build_call(30, 12, seed=2)
    urls = [job_url(run_now(start_comparison_job, w.call, user=w.manager)) for w in (small, large)]
    signed_in(client, small.manager)
    client.get(urls[0])
    before = count_queries(client, urls[0])
    signed_in(client, large.manager)
    assert count_queries(client, urls[1]) == before
