"""My assignments and the proposal page (issue 12): who sees what, answers in place and as plain
POSTs through the API's domain functions, refusals beside the action, disclosure in the HTML, and
a query count that does not grow with batches and items."""

import pytest

from referee.assignments.models import AssignmentBatch, AssignmentItem
from referee.reviews.models import Review
from referee.web.assignments.forms import DeclineForm
from tests import factories as f
from tests.helpers import count_queries, html, outbox, role_matrix, role_user, signed_in

pytestmark = pytest.mark.django_db

PAGE = "/reviews/assignments/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def sent_batch(entry, proposals, **kwargs):
    batch = f.batch(entry, status="sent", manager_notes="Please answer by Friday.", **kwargs)
    return batch, [f.item(batch, proposal) for proposal in proposals]


def disclose(call, level):
    call.coi_config.invitation_proposal_disclosure = level
    call.coi_config.save()


def action(item, name):
    return f"{PAGE}items/{item.uuid}/{name}/"


@role_matrix({"anonymous": 302, "stranger": 200, "reviewer": 200, "other_manager": 200, "manager": 200,
              "support": 200, "staff": 200})
def test_everyone_signed_in_has_the_page_and_only_the_reviewer_sees_the_batch(client, world, role, expected):
    sent_batch(world.entry, [world.proposal])
    response = signed_in(client, role_user(world, role)).get(PAGE)
    assert response.status_code == expected
    if role == "anonymous":
        assert response["Location"] == f"/login/?next={PAGE}"
        return
    assert (world.proposal.name in html(response)) == (role == "reviewer")
    assert ("Please answer by Friday." in html(response)) == (role == "reviewer")


def test_another_reviewer_of_the_same_call_never_sees_my_batch(client, world):
    sent_batch(world.entry, [world.proposal])
    other = f.user("otherreviewer")
    sent_batch(f.pool_entry(world.call, f.profile(other)), [world.proposal2])
    page = html(signed_in(client, other).get(PAGE))
    assert world.proposal2.name in page and world.proposal.name not in page


def test_the_batch_shows_its_call_deadline_in_the_readers_zone_with_utc_tooltip_and_time_left(client, world):
    batch, _ = sent_batch(world.entry, [world.proposal])
    page = html(signed_in(client, world.reviewer).get(PAGE))
    assert world.call.name in page and "1 of 1 waiting for your answer" in page
    assert f'title="{batch.expires_at:%Y-%m-%d %H:%M} UTC"' in page and " left)" in page


@role_matrix({"anonymous": 302, "stranger": 404, "reviewer": 302, "other_manager": 404, "manager": 403,
              "support": 403, "staff": 403})
def test_only_the_reviewer_answers_an_item(client, world, role, expected):
    _, (item,) = sent_batch(world.entry, [world.proposal])
    response = signed_in(client, role_user(world, role)).post(action(item, "accept"))
    assert response.status_code == expected
    item.refresh_from_db()
    assert item.status == ("accepted" if role == "reviewer" else "pending")
    if role == "reviewer":
        assert response["Location"] == PAGE
        assert "Assignment accepted. Review created." in html(client.get(PAGE))


def test_accepting_in_place_redraws_the_batch_with_its_status(client, world):
    batch, (item,) = sent_batch(world.entry, [world.proposal])
    response = signed_in(client, world.reviewer).post(action(item, "accept"), **HTMX)
    assert response.status_code == 200
    fragment = html(response)
    assert '<p class="message" role="status">Assignment accepted. Review created.</p>' in fragment
    assert "<dd>Reviewer responded" in fragment and "<html" not in fragment
    review = Review.objects.get()
    assert f'href="/proposals/{world.proposal.uuid}/"' in fragment and f"/reviews/{review.uuid}/" in fragment
    batch.refresh_from_db()
    assert batch.status == "responded"


def test_declining_in_place_keeps_the_reason_and_queues_the_managers_notice(client, world):
    _, (item, other) = sent_batch(world.entry, [world.proposal, world.proposal2])
    response = signed_in(client, world.reviewer).post(
        action(item, "decline"), {f"{item.uuid.hex}-reason": "Outside my field."}, **HTMX)
    assert response.status_code == 200 and "Assignment declined." in html(response)
    assert "Your reason: Outside my field." in html(response) and "1 of 2 waiting" in html(response)
    item.refresh_from_db()
    assert (item.status, item.decline_reason) == ("declined", "Outside my field.")
    assert len(outbox("assignment_declined")) == 1


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_decline_without_a_reason_is_refused_beside_the_field_and_writes_nothing(client, world, headers):
    _, (item,) = sent_batch(world.entry, [world.proposal])
    response = signed_in(client, world.reviewer).post(action(item, "decline"), {f"{item.uuid.hex}-reason": "  "},
                                                      **headers)
    assert response.status_code == 400
    assert (f'<p class="error" id="id_{item.uuid.hex}-reason-error" role="alert">This field may not be blank.</p>'
            in html(response))
    item.refresh_from_db()
    assert item.status == "pending" and outbox("assignment_declined") == []


def test_the_decline_field_written_out_in_the_template_is_the_forms_own(client, world):
    _, (item,) = sent_batch(world.entry, [world.proposal])
    page = html(signed_in(client, world.reviewer).get(PAGE))
    assert str(DeclineForm(prefix=item.uuid.hex)["reason"]).replace("\n", "") in page


def test_accepting_twice_shows_the_domains_refusal_beside_the_item(client, world):
    _, (item, _other) = sent_batch(world.entry, [world.proposal, world.proposal2])
    signed_in(client, world.reviewer).post(action(item, "accept"))
    response = client.post(action(item, "accept"))
    assert response.status_code == 400
    page = html(response)
    at = page.index(f'id="item-{item.uuid.hex}"')
    refusal = page.index('<p class="error" role="alert">Can only accept pending assignments.</p>')
    assert at < refusal < page.index('id="item-', at + 1)
    assert Review.objects.count() == 1


def test_a_conflicted_item_never_shows_its_summary(client, world):
    disclose(world.call, "full_details")
    batch = f.batch(world.entry, status="sent")
    f.item(batch, world.proposal, status="coi_blocked")
    f.item(batch, world.proposal2)
    page = html(signed_in(client, world.reviewer).get(PAGE))
    assert world.proposal.project_summary not in page and world.proposal.description not in page
    assert world.proposal2.project_summary in page and "Conflict of interest" in page
    assert page.count("Accept<span") == 1  # only the pending item takes an answer


@pytest.mark.parametrize(("level", "summary", "description"), [
    ("titles_only", False, False), ("titles_and_summaries", True, False), ("full_details", True, True)])
def test_an_invitation_shows_no_more_than_the_call_discloses(client, world, level, summary, description):
    disclose(world.call, level)
    sent_batch(world.entry, [world.proposal])
    page = html(signed_in(client, world.reviewer).get(PAGE))
    assert world.proposal.name in page
    assert (world.proposal.project_summary in page, world.proposal.description in page) == (summary, description)


def test_past_batches_are_listed_below_read_only(client, world):
    sent_batch(world.entry, [world.proposal])
    expired = f.batch(world.entry, status="expired")
    f.item(expired, world.proposal2, status="expired")
    f.batch(world.entry, status="cancelled")
    page = html(signed_in(client, world.reviewer).get(PAGE))
    assert page.index("Waiting for your answer") < page.index("Past batches") < page.index(world.proposal2.name)
    assert page.count("Accept<span") == 1 and page.count('<article class="batch"') == 2


def test_the_page_reads_the_same_number_of_queries_for_1_or_20_batches_of_10_items(client, world):
    signed_in(client, world.reviewer)
    sent_batch(world.entry, [world.proposal])
    client.get(PAGE)  # warm per-process caches
    one = count_queries(client, PAGE)
    for _ in range(20):
        sent_batch(world.entry, [f.proposal(world.round) for _ in range(10)])
    assert count_queries(client, PAGE) == one
    assert AssignmentItem.objects.count() == 201 and AssignmentBatch.objects.count() == 21


# --- the proposal page ---------------------------------------------------------------------------

@role_matrix({"anonymous": 302, "stranger": 404, "reviewer": 200, "other_manager": 404, "manager": 200,
              "support": 200, "staff": 200, "applicant": 200})
def test_the_proposal_is_read_by_whom_the_disclosure_policy_allows(client, world, role, expected):
    _, (item,) = sent_batch(world.entry, [world.proposal])
    signed_in(client, world.reviewer).post(action(item, "accept"))
    client.logout()
    response = signed_in(client, role_user(world, role)).get(f"/proposals/{world.proposal.uuid}/")
    assert response.status_code == expected
    if expected == 200:  # each of these reads it in full
        assert world.proposal.description in html(response) and "Team" in html(response)


def test_a_pool_reviewer_without_a_review_reads_no_more_than_the_call_discloses(client, world):
    page = html(signed_in(client, world.reviewer).get(f"/proposals/{world.proposal.uuid}/"))
    assert world.proposal.name in page
    assert world.proposal.project_summary not in page and world.proposal.description not in page
    assert "Team" not in page


def test_a_conflict_leaves_a_pool_reviewer_the_title_only(client, world):
    disclose(world.call, "full_details")
    f.conflict(world.profile, world.proposal)
    page = html(signed_in(client, world.reviewer).get(f"/proposals/{world.proposal.uuid}/"))
    assert world.proposal.name in page and world.proposal.project_summary not in page


def test_an_unknown_proposal_is_a_404(client, world):
    assert signed_in(client, world.reviewer).get("/proposals/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_the_proposal_page_reads_a_constant_number_of_queries(client, world):
    signed_in(client, world.manager)
    url = f"/proposals/{world.proposal.uuid}/"
    client.get(url)
    one = count_queries(client, url)
    world.proposal.team.add(*[f.user() for _ in range(10)])
    assert count_queries(client, url) == one


def test_my_assignments_comes_first_in_the_navigation_and_is_current(client, world):
    page = html(signed_in(client, world.reviewer).get(PAGE))
    nav = page[page.index('<nav aria-label="Main">'):page.index("</nav>")]
    assert nav.index(f'<a href="{PAGE}" aria-current="page">My assignments</a>') < nav.index("My reviews")
