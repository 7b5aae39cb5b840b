"""Computing affinities from the Matching tab as a background job (issue 13): the button starts
`matching_jobs.start_affinity_job`, the section shows the job's progress through the console's
shared job-progress fragment (polled while active, with its stage in words and a cancel button
for managers), a refused start is said beside the button, and a poll that finds the job ended
tells the section to redraw its heatmap."""

import pytest

from referee.assignments.matching_jobs import ALREADY_RUNNING, NAMES, NOT_ACTIVE
from referee.assignments.models import AffinityScore, MatchingJob
from referee.core.workers import NO_WORKER
from tests.helpers import count_queries, html, role_matrix, role_user, signed_in
from tests.web.console.helpers import READ, acting, tab_url
from tests.web.console.test_matching_affinities import compute_url, reviewers
from tests.web.console.test_matching_conflicts import HTMX, POLLING

pytestmark = pytest.mark.django_db

AFFINITIES = MatchingJob.Kind.AFFINITIES


def job_url(job) -> str:
    return f"/call/{job.call.uuid}/manage/matching/affinities/{job.uuid}/"


def a_job(call, **fields) -> MatchingJob:
    return MatchingJob.objects.create(call=call, kind=AFFINITIES, total=3, **fields)


def test_the_button_starts_a_job_whose_progress_the_section_polls(client, world):
    signed_in(client, world.manager)
    response = client.post(compute_url(world.call), **HTMX)  # its task is queued after commit: not run here
    assert response.status_code == 200
    job = MatchingJob.objects.get(call=world.call)
    assert (job.kind, job.state, job.created_by) == (AFFINITIES, "pending", world.manager)
    section = html(response)
    assert "Computation of affinities started." in section
    assert '<div id="affinity-progress"' in section and f'hx-get="{job_url(job)}" {POLLING}' in section
    assert '<strong class="job-state">Pending</strong>, waiting for a background worker.' in section
    assert "Cancel the computation</button>" in section
    assert not AffinityScore.objects.filter(call=world.call).exists()  # nothing computed inside the request


def test_the_fragment_follows_the_job_with_its_stage_and_stops_polling_when_it_ends(client, world):
    job = a_job(world.call)
    signed_in(client, world.manager)
    MatchingJob.objects.filter(pk=job.pk).update(state="running", processed=1, stage="Scoring the keywords")
    response = client.get(job_url(job), **HTMX)
    fragment = html(response)
    assert POLLING in fragment and "HX-Trigger" not in response
    assert '<progress id="affinity-bar" max="3" value="1">33.3%</progress>' in fragment
    assert "1 of 3 steps done (33.3%)." in fragment and "Now: Scoring the keywords" in fragment
    MatchingJob.objects.filter(pk=job.pk).update(state="completed", processed=3, stage="")
    response = client.get(job_url(job), **HTMX)
    fragment = html(response)
    assert POLLING not in fragment and "Completed" in fragment and "Cancel the computation" not in fragment
    assert response["HX-Trigger"] == "affinities-ended"  # the section redraws its heatmap on it
    tab = html(client.get(tab_url(world.call, "matching")))
    assert 'hx-trigger="affinities-ended from:body"' in tab and '<div aria-live="polite"><div id="affinity-progress"' in tab


def test_a_job_run_by_the_worker_computes_every_pair(client, world, django_capture_on_commit_callbacks):
    signed_in(client, world.manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(compute_url(world.call), **HTMX)
    job = MatchingJob.objects.get(call=world.call)
    assert (job.state, job.processed, job.result) == ("completed", job.total, {"computed_count": 2})
    assert AffinityScore.objects.filter(call=world.call).count() == 2
    assert "Completed" in html(client.get(job_url(job), **HTMX))


@role_matrix(READ)
def test_the_progress_fragment_is_for_those_who_read_the_console(client, world, role, expected):
    job = a_job(world.call)
    response = signed_in(client, role_user(world, role)).get(job_url(job))
    assert response.status_code == expected
    if expected == 200:
        assert ("Cancel the computation</button>" in html(response)) == (role != "support")


def test_another_calls_job_or_a_detection_url_of_it_is_not_found(client, world):
    job = a_job(world.other_call)
    signed_in(client, world.staff)
    assert client.get(f"/call/{world.call.uuid}/manage/matching/affinities/{job.uuid}/").status_code == 404
    generation = MatchingJob.objects.create(call=world.call, kind=MatchingJob.Kind.GENERATION)
    assert client.get(job_url(generation)).status_code == 404  # not an affinity job


@role_matrix(acting(302))
def test_cancelling_is_for_managers_and_staff(client, world, role, expected):
    job = a_job(world.call, state="running")
    response = signed_in(client, role_user(world, role)).post(f"{job_url(job)}cancel/")
    assert response.status_code == expected
    job.refresh_from_db()
    assert (job.state == "cancelled") == (role in ("manager", "staff"))
    if role in ("manager", "staff"):
        assert response["Location"] == f"{tab_url(world.call, 'matching')}#affinities"


def test_cancelled_in_place_it_stops_polling_and_says_so(client, world):
    job = a_job(world.call, state="running", processed=1)
    signed_in(client, world.manager)
    response = client.post(f"{job_url(job)}cancel/", **HTMX)
    assert response.status_code == 200
    fragment = html(response)
    assert '<strong class="job-state">Cancelled</strong>' in fragment and POLLING not in fragment
    assert "before anything was written" in fragment and "Cancel the computation" not in fragment


def test_an_ended_job_cannot_be_cancelled_and_says_why(client, world):
    job = a_job(world.call, state="completed", processed=3)
    response = signed_in(client, world.manager).post(f"{job_url(job)}cancel/", **HTMX)
    assert response.status_code == 400
    assert f'<p class="error" role="alert">{NOT_ACTIVE.format(state="completed")}</p>' in html(response)
    page = signed_in(client, world.manager).post(f"{job_url(job)}cancel/")  # plain POST: the tab, 400
    assert page.status_code == 400 and NOT_ACTIVE.format(state="completed") in html(page)
    assert f'href="/call/{world.call.uuid}/manage/?tab=matching" aria-current="page"' in html(page)


@pytest.mark.parametrize("htmx", [True, False])
def test_a_second_computation_while_one_is_running_is_refused_beside_the_button(client, world, htmx):
    a_job(world.call, state="running")
    response = signed_in(client, world.manager).post(compute_url(world.call), **(HTMX if htmx else {}))
    assert response.status_code == 400
    refusal = ALREADY_RUNNING.format(name=NAMES[AFFINITIES])
    page = html(response)
    assert f'<p class="error" role="alert">{refusal}</p>' in page
    assert page.index(refusal) < page.index("Compute affinities</button>")
    if not htmx:  # the whole tab, with the Matching tab current though the URL names none
        assert f'href="{tab_url(world.call, "matching")}" aria-current="page"' in page
    assert MatchingJob.objects.filter(call=world.call).count() == 1


def test_without_a_worker_the_start_is_refused_in_words(client, world, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # as in a served process where no worker has reported
    response = signed_in(client, world.manager).post(compute_url(world.call), **HTMX)
    assert response.status_code == 400
    assert NO_WORKER.format(what=NAMES[AFFINITIES]) in html(response)
    assert not MatchingJob.objects.exists()


def test_the_fragment_costs_the_same_queries_for_a_larger_call(client, world):
    job = a_job(world.call, state="running")
    signed_in(client, world.manager)
    client.get(job_url(job))
    before = count_queries(client, job_url(job))
    reviewers(world.call, 5)
    MatchingJob.objects.filter(pk=job.pk).update(processed=2, total=3)
    assert count_queries(client, job_url(job)) == before
