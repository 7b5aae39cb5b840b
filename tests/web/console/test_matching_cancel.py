"""Cancelling a conflict detection from the Matching tab (issue 13): through
`conflicts.detection_requests.cancel_detection`, as `coi-detection-jobs/{uuid}/cancel/` does; the
progress fragment offers it to managers while the job is active and stops polling once cancelled."""

import pytest

from referee.conflicts.detection_requests import NOT_ACTIVE
from referee.conflicts.models import COIDetectionJob
from tests.helpers import html, role_matrix, role_user, signed_in
from tests.web.console.helpers import acting
from tests.web.console.test_matching_conflicts import HTMX, POLLING, progress_url

pytestmark = pytest.mark.django_db


def cancel_url(job) -> str:
    return f"{progress_url(job)}cancel/"


@role_matrix(acting(302))
def test_cancelling_is_for_managers_and_staff(client, world, role, expected):
    job = COIDetectionJob.objects.create(call=world.call)
    response = signed_in(client, role_user(world, role)).post(cancel_url(job))
    assert response.status_code == expected
    job.refresh_from_db()
    assert (job.state == "cancelled") == (role in ("manager", "staff"))


def test_a_running_detection_cancelled_in_place_says_how_far_it_got_and_stops_polling(client, world):
    job = COIDetectionJob.objects.create(call=world.call, state="running", total_pairs=10, processed_pairs=4,
                                         conflicts_found=1)
    signed_in(client, world.manager)
    assert "Cancel detection</button>" in html(client.get(progress_url(job), **HTMX))
    response = client.post(cancel_url(job), **HTMX)
    assert response.status_code == 200
    fragment = html(response)
    assert '<strong class="job-state">Cancelled</strong>' in fragment and POLLING not in fragment
    assert "after 4 of 10 reviewer × proposal pairs were checked" in fragment
    assert "Cancel detection</button>" not in fragment
    job.refresh_from_db()
    assert job.state == "cancelled"


def test_an_ended_detection_cannot_be_cancelled_and_says_why(client, world):
    job = COIDetectionJob.objects.create(call=world.call, state="completed", total_pairs=2, processed_pairs=2)
    response = signed_in(client, world.manager).post(cancel_url(job), **HTMX)
    assert response.status_code == 400
    assert f'<p class="error" role="alert">{NOT_ACTIVE.format(state="completed")}</p>' in html(response)
    job.refresh_from_db()
    assert job.state == "completed"


def test_support_follows_a_detection_without_a_cancel_button(client, world):
    job = COIDetectionJob.objects.create(call=world.call)
    fragment = html(signed_in(client, world.support).get(progress_url(job), **HTMX))
    assert POLLING in fragment and "Cancel detection" not in fragment
