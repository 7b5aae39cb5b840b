"""The Matching tab's conflicts (issue 13): starting detection and following its progress (a
fragment that polls itself while the job is pending or running and stops when it ends), the
conflicts table with its filters and paging, and dismiss / waive / recuse through the domain the
API calls, refused in its words beside the action."""

import re

import pytest

from referee.conflicts.detection_requests import ALREADY_RUNNING
from referee.conflicts.domain import ONLY_PENDING_DISMISSED, PLAN_REQUIRED, RECUSAL_ONLY
from referee.conflicts.filters import ConflictFilter
from referee.conflicts.models import COIDetectionJob, ConflictOfInterest
from referee.core.enums import AuditEventType
from tests import factories as f
from tests.helpers import count_queries, events, html, role_matrix, role_user, signed_in
from tests.web.console.helpers import READ, acting, tab_url

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
POLLING = 'hx-trigger="every 1s"'


def detect_url(call) -> str:
    return f"/call/{call.uuid}/manage/matching/detection/"


def progress_url(job) -> str:
    return f"/call/{job.call.uuid}/manage/matching/detection/{job.uuid}/"


def act_url(conflict, action: str) -> str:
    return f"/call/{conflict.call.uuid}/manage/matching/conflicts/{conflict.uuid}/{action}/"


def review_body(conflict, **fields) -> dict:
    """What the row's form posts: its notes and plan under the row's prefix."""
    key = conflict.uuid.hex
    return {f"{key}-review_notes": fields.get("review_notes", conflict.review_notes),
            f"{key}-management_plan": fields.get("management_plan", conflict.management_plan)}


# A query the test client sends replaces the URL's own, so each one names the tab itself.


def table_rows(page: str) -> list[str]:
    """The conflicts table's rows as "reviewer | proposal | type | severity | rule | status"."""
    body = page.split('class="console-table conflicts"', 1)[1].split("</tbody>", 1)[0]
    return [" | ".join(re.findall(r"<td>([^<]*)", row)[:6]) for row in re.findall(r'<tr id="conflict-.*?</tr>', body, re.S)]


# --- detection -----------------------------------------------------------------------------------


@role_matrix(acting(302))
def test_starting_detection_is_for_managers_and_staff(client, world, role, expected, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(client, role_user(world, role)).post(detect_url(world.call))
    assert response.status_code == expected
    started = role in ("manager", "staff")
    assert COIDetectionJob.objects.filter(call=world.call).exists() == started
    if started:
        assert response["Location"] == f"{tab_url(world.call, 'matching')}#detection"


def test_detection_started_from_the_tab_polls_until_it_has_run_to_the_end(client, world, django_capture_on_commit_callbacks):
    world.proposal2.team.add(world.reviewer)  # a conflict for detection to find: the reviewer is named
    signed_in(client, world.manager)
    with django_capture_on_commit_callbacks(execute=True):  # the task runs once the request has committed
        response = client.post(detect_url(world.call), **HTMX)
        assert response.status_code == 200
        section = html(response)
        assert "Conflict detection started." in section and "Pending" in section and POLLING in section
    job = COIDetectionJob.objects.get(call=world.call)
    assert (job.state, job.processed_pairs, job.total_pairs) == ("completed", 2, 2)
    fragment = html(client.get(progress_url(job), **HTMX))  # the next poll
    assert '<progress id="detection-bar" max="2" value="2">' in fragment
    assert "2 of 2 pairs checked (100.0%); 1 conflict found." in fragment
    assert POLLING not in fragment  # ended: nothing left to poll
    assert len(events(AuditEventType.COI_DETECTION_REQUESTED)) == 1


def test_a_second_detection_while_one_is_active_is_refused_in_the_apis_words(client, world):
    COIDetectionJob.objects.create(call=world.call)
    response = signed_in(client, world.manager).post(detect_url(world.call), **HTMX)
    assert response.status_code == 400
    assert f'<p class="error" role="alert">{ALREADY_RUNNING}</p>' in html(response)
    assert COIDetectionJob.objects.filter(call=world.call).count() == 1


@role_matrix(READ)
def test_the_progress_fragment_is_for_those_who_read_the_console(client, world, role, expected):
    job = COIDetectionJob.objects.create(call=world.call)
    response = signed_in(client, role_user(world, role)).get(progress_url(job))
    assert response.status_code == expected


def test_the_progress_fragment_follows_the_job_from_pending_to_completed(client, world):
    job = COIDetectionJob.objects.create(call=world.call)
    signed_in(client, world.manager)

    fragment = html(client.get(progress_url(job), **HTMX))
    assert "<strong class=\"job-state\">Pending</strong>, waiting for a background worker." in fragment
    assert POLLING in fragment and f'hx-get="{progress_url(job)}"' in fragment
    assert '<progress id="detection-bar" max="1">' in fragment  # no total yet: indeterminate
    tab = html(client.get(tab_url(world.call, "matching")))
    assert '<div aria-live="polite"><div id="detection-progress"' in tab  # the region stays as it is redrawn

    COIDetectionJob.objects.filter(pk=job.pk).update(state="running", total_pairs=10, processed_pairs=4)
    fragment = html(client.get(progress_url(job), **HTMX))
    assert "Running" in fragment and POLLING in fragment
    assert '<progress id="detection-bar" max="10" value="4">40.0%</progress>' in fragment
    assert "4 of 10 pairs checked (40.0%)" in fragment

    COIDetectionJob.objects.filter(pk=job.pk).update(state="completed", processed_pairs=10, conflicts_found=3)
    fragment = html(client.get(progress_url(job), **HTMX))
    assert "Completed" in fragment and POLLING not in fragment
    assert "10 of 10 pairs checked (100.0%); 3 conflicts found." in fragment
    assert "See the conflicts" in fragment

    COIDetectionJob.objects.filter(pk=job.pk).update(state="failed", error_message="The database went away.")
    fragment = html(client.get(progress_url(job), **HTMX))
    assert POLLING not in fragment and "The database went away." in fragment


def test_another_calls_job_is_not_found_through_this_call(client, world):
    job = COIDetectionJob.objects.create(call=world.other_call)
    url = f"/call/{world.call.uuid}/manage/matching/detection/{job.uuid}/"
    assert signed_in(client, world.staff).get(url).status_code == 404


# --- the conflicts table -------------------------------------------------------------------------


@pytest.fixture
def conflicts(world):
    """Three conflicts of the call's reviewer, one of another reviewer, one in another call."""
    other = f.profile(f.user(first_name="Olga", last_name="Other"))
    f.pool_entry(world.call, other)
    return {
        "named": f.conflict(world.profile, world.proposal, rule="recusal_required"),
        "former": f.conflict(world.profile, world.proposal2, rule="management_allowed"),
        "old": f.conflict(other, world.proposal, rule="disclosure_only", status="dismissed"),
        "elsewhere": f.conflict(world.profile, f.proposal(f.round_(world.other_call)), rule="management_allowed"),
    }


def test_the_table_lists_the_calls_conflicts_under_its_filters(client, world, conflicts):
    signed_in(client, world.manager)
    url = tab_url(world.call, "matching")
    everything = table_rows(html(client.get(url)))
    assert len(everything) == 3  # not the other call's
    assert f"Reviewer Tester | {world.proposal.name} | Named in the proposal | Real | Recusal required | Pending review" \
        in everything
    assert len(table_rows(html(client.get(url, {"tab": "matching", "status": "pending"})))) == 2
    assert len(table_rows(html(client.get(url, {"tab": "matching", "status": ["pending", "dismissed"]})))) == 3
    assert [row.split(" | ")[2] for row in table_rows(html(client.get(url, {"tab": "matching", "severity": "apparent"})))] == [
        "Former institution"]
    assert len(table_rows(html(client.get(url, {"tab": "matching", "coi_type": "COAUTH_OLD"})))) == 1
    assert [row.split(" | ")[0] for row in table_rows(html(client.get(url, {"tab": "matching", "reviewer_name": "olga"})))] == [
        "Olga Other"]
    assert len(table_rows(html(client.get(url, {"tab": "matching", "proposal_name": world.proposal2.name})))) == 1
    page = html(client.get(url, {"tab": "matching", "status": "nonsense"}))
    assert table_rows(page) == [] and "Select a valid choice. nonsense is not one of the available choices." in page


def test_the_filters_are_checkboxes_even_once_the_apis_schema_has_made_its_fields(client, world):
    made = ConflictFilter.base_filters["status"].field  # as drf-spectacular does when it lists the API's filters
    assert type(made.widget).__name__ == "SelectMultiple"
    page = html(signed_in(client, world.manager).get(tab_url(world.call, "matching")))
    assert 'type="checkbox" name="status"' in page and '<select name="status"' not in page
    assert '<label for="id_reviewer_name">Reviewer</label>' in page


def test_the_table_is_paged_and_costs_the_same_queries_for_more_conflicts(client, world, conflicts):
    url = tab_url(world.call, "matching")
    signed_in(client, world.manager)
    client.get(url)
    before = count_queries(client, url)
    for _ in range(30):
        reviewer = f.profile(f.user())
        f.pool_entry(world.call, reviewer)
        f.conflict(reviewer, world.proposal, rule="management_allowed", conflicting_user=world.applicant)
    assert count_queries(client, url) == before
    first = html(client.get(url))
    assert len(table_rows(first)) == 25 and "33 conflicts, newest first (page 1 of 2)" in first
    second = html(client.get(url, {"tab": "matching", "coi_page": 2, "status": "pending"}))
    assert len(table_rows(second)) == 7  # 32 pending
    assert "page 2 of 2" in second and "coi_page=1" in second and "status=pending" in second  # filters kept


def test_support_sees_the_conflicts_without_their_review_actions(client, world, conflicts):
    page = html(signed_in(client, world.support).get(tab_url(world.call, "matching")))
    assert len(table_rows(page)) == 3 and "Dismiss</button>" not in page and "Waive</button>" not in page
    assert "Review <span" not in page


# --- the review actions --------------------------------------------------------------------------


@role_matrix(acting(302))
def test_dismissing_is_for_managers_and_staff(client, world, conflicts, role, expected):
    conflict = conflicts["former"]
    response = signed_in(client, role_user(world, role)).post(act_url(conflict, "dismiss"), review_body(conflict))
    assert response.status_code == expected
    conflict.refresh_from_db()
    assert (conflict.status == "dismissed") == (role in ("manager", "staff"))


def test_dismiss_waive_and_recuse_do_what_the_api_does(client, world, conflicts):
    signed_in(client, world.manager)
    former = conflicts["former"]
    response = client.post(act_url(former, "waive"), review_body(former, management_plan="A second reader checks."),
                           **HTMX)
    assert response.status_code == 200
    row = html(response)
    assert row.startswith(f'<tr id="conflict-{former.uuid.hex}">') and "Conflict waived under the management plan." in row
    former.refresh_from_db()
    assert (former.status, former.management_plan, former.reviewed_by) == ("waived", "A second reader checks.", world.manager)
    assert len(events(AuditEventType.COI_WAIVED)) == 1

    named = conflicts["named"]
    response = client.post(act_url(named, "recuse"), review_body(named, review_notes="Named as a co-investigator."))
    assert response.status_code == 302 and response["Location"].endswith("#conflicts")
    named.refresh_from_db()
    assert (named.status, named.review_notes) == ("recused", "Named as a co-investigator.")

    conflicts["old"].status = "pending"
    conflicts["old"].review_notes = "Checked by phone."
    conflicts["old"].save()
    old = conflicts["old"]
    assert client.post(act_url(old, "dismiss"), review_body(old)).status_code == 302
    old.refresh_from_db()
    assert (old.status, old.review_notes) == ("dismissed", "Checked by phone.")  # the notes shown are kept


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_refusals_are_shown_beside_the_action_and_nothing_changes(client, world, conflicts, htmx):
    signed_in(client, world.manager)
    extra = HTMX if htmx else {}
    former, named, old = conflicts["former"], conflicts["named"], conflicts["old"]
    cases = [
        (former, "waive", review_body(former, management_plan="  "),
         f'id="id_{former.uuid.hex}-management_plan-error" role="alert">{PLAN_REQUIRED}</p>'),
        (named, "waive", review_body(named, management_plan="A plan"),
         f'<p class="error" role="alert">{RECUSAL_ONLY.format(coi_type="ROLE_NAMED")}</p>'),
        (old, "dismiss", review_body(old), f'<p class="error" role="alert">{ONLY_PENDING_DISMISSED}</p>'),
        (former, "dismiss", review_body(former, review_notes="x" * 5001),
         f'id="id_{former.uuid.hex}-review_notes-error" role="alert">Ensure this field has no more than 5000 characters.'),
    ]
    for conflict, action, body, shown in cases:
        before = ConflictOfInterest.objects.values().get(pk=conflict.pk)
        response = client.post(act_url(conflict, action), body, **extra)
        assert response.status_code == 400, action
        page = html(response)
        assert shown in page
        assert (f'<tr id="conflict-{conflict.uuid.hex}">' in page)
        assert ("<h1>" in page) == (not htmx)
        assert ConflictOfInterest.objects.values().get(pk=conflict.pk) == before
    assert events(AuditEventType.COI_WAIVED) == events(AuditEventType.COI_DISMISSED) == []


def test_a_conflict_of_another_call_is_not_found_through_this_call(client, world, conflicts):
    elsewhere = conflicts["elsewhere"]
    url = f"/call/{world.call.uuid}/manage/matching/conflicts/{elsewhere.uuid}/dismiss/"
    assert signed_in(client, world.staff).post(url, review_body(elsewhere)).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.status == "pending"
