"""The console's Overview tab (issue 13): who sees it, the round-up counts (the calls list's read
model, plus the reviews overdue by the overdue-review job's own rule), the chart of answers and
submitted reviews per day with its data table, and a query count that does not grow with the call."""

import re
from datetime import timedelta

import pytest

from referee.reviews.jobs import reject_overdue_reviews
from referee.reviews.models import Review
from tests import factories as f
from tests.helpers import NOW, count_queries, html, role_matrix, role_user, signed_in
from tests.web.console.helpers import READ, tab_url

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def count_of(page, label) -> str:
    """The number in the Overview's row labelled `label` (as it reads: a link's hidden words left out)."""
    row = page[page.index(f'<th scope="row">{label}</th>'):]
    cell = row[row.index('<td class="number">') + len('<td class="number">'):row.index("</td>")]
    return re.sub(r'<span class="visually-hidden">.*?</span>|<[^>]+>', "", cell)


def review(proposal, user, state="in_review"):
    return Review.objects.create(proposal=proposal, reviewer=user, state=state)


@role_matrix(READ)
def test_the_overview_is_for_the_calls_managers_support_and_staff(client, world, role, expected):
    response = signed_in(client, role_user(world, role)).get(tab_url(world.call, "overview"))
    assert response.status_code == expected
    if expected == 200:
        assert 'aria-current="page">Overview<' in html(response) and "Reviewer pool" in html(response)


def test_the_overview_counts_the_round_by_status(client, world):
    f.pool_entry(world.call, f.profile(f.user()), status="pending")
    f.pool_entry(world.call, f.profile(f.user()), status="declined")
    batch = f.batch(world.entry, status="sent")
    f.item(batch, world.proposal, status="accepted")
    f.item(batch, world.proposal2)
    f.batch(f.pool_entry(world.call, f.profile(f.user())))
    review(world.proposal, world.reviewer, "submitted")
    page = html(signed_in(client, world.manager).get(tab_url(world.call, "overview")))
    assert count_of(page, "Submitted") == "2"  # proposals: the first "Submitted" row
    pool = page[page.index("<caption>Reviewer pool</caption>"):]
    assert [count_of(pool, label) for label in ("Accepted", "Pending", "Declined")] == ["2", "1", "1"]
    batches = page[page.index("<caption>Batches</caption>"):]
    assert count_of(batches, "Draft - pending approval") == "1" and count_of(batches, "Sent to reviewer") == "1"
    assert '<a href="?tab=batches&amp;status=sent">1<' in batches and "status=expired" not in batches
    items = page[page.index("<caption>Proposals offered"):]
    assert count_of(items, "Awaiting response") == "1" and count_of(items, "Accepted") == "1"
    reviews = page[page.index("<caption>Reviews</caption>"):]
    assert count_of(reviews, "Submitted") == "1" and count_of(reviews, "In Review") == "0"


def test_overdue_reviews_are_those_the_overdue_review_job_rejects(client, world, clock):
    world.round.review_duration_in_days = 7
    world.round.save()
    late = review(world.proposal, world.reviewer)
    clock.shift(3 * DAY)
    review(world.proposal2, world.reviewer)  # a day to go when the first is two days late
    clock.shift(6 * DAY)
    signed_in(client, world.manager)
    overdue = "of them in review past their deadline"
    assert count_of(html(client.get(tab_url(world.call, "overview"))), overdue) == "1"
    assert reject_overdue_reviews() == 1
    late.refresh_from_db()
    assert late.state == "rejected"
    assert count_of(html(client.get(tab_url(world.call, "overview"))), overdue) == "0"


def test_the_chart_shows_answers_and_submitted_reviews_cumulative_per_day_with_its_numbers(client, world, clock):
    batch = f.batch(world.entry, status="sent")
    other = f.batch(f.pool_entry(world.call, f.profile(f.user("sam"))), status="sent")
    accepted = f.item(batch, world.proposal, status="accepted", responded_at=NOW)
    accepted.review = review(world.proposal, world.reviewer)
    accepted.save()
    f.item(other, world.proposal, status="declined", responded_at=NOW + DAY)
    f.item(other, world.proposal2, status="declined", responded_at=NOW + 2 * DAY)
    clock.move_to(NOW + 2 * DAY)
    review(world.proposal2, f.user(), "submitted")
    page = html(signed_in(client, world.manager).get(tab_url(world.call, "overview")))
    assert 'id="answers-over-time"' in page and "<svg" in page
    table = page[page.index("The numbers of"):]
    rows = [row.split("</th>")[1] for row in table.split('<th scope="row">')[1:4]]
    cells = [[cell.split("</td>")[0] for cell in row.split("<td>")[1:]] for row in rows]
    assert cells == [["1", "0", "0"], ["1", "1", "0"], ["1", "2", "1"]]  # accepted, declined, submitted


def test_without_answers_the_overview_says_so_instead_of_an_empty_chart(client, world):
    page = html(signed_in(client, world.manager).get(tab_url(world.call, "overview")))
    assert "<svg" not in page and "No reviewer has answered an invitation" in page


def test_the_overview_costs_the_same_queries_for_a_bigger_round(client, world):
    world.round.review_duration_in_days = 7
    world.round.save()
    signed_in(client, world.manager)
    url = tab_url(world.call, "overview")
    client.get(url)
    before = count_queries(client, url)
    for k in range(10):
        user = f.user()
        entry = f.pool_entry(world.call, f.profile(user))
        batch = f.batch(entry, status="sent")
        item = f.item(batch, world.proposal, status="accepted", responded_at=NOW - k * DAY)
        item.review = review(world.proposal, user, "submitted" if k % 2 else "in_review")
        item.save()
    assert count_queries(client, url) == before
