"""The console's Reviews tab (issue 13): who sees it, each proposal's reviews against the number
the call asks for, the overdue reviews (the overdue-review job's rule) with reviewer and deadline,
both paged, and a query count that does not grow with proposals and reviews."""

from datetime import timedelta

import pytest

from referee.reviews.models import Review
from tests import factories as f
from tests.helpers import count_queries, html, role_matrix, role_user, signed_in
from tests.web.console.helpers import READ, tab_url

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def review(proposal, user, state="in_review"):
    return Review.objects.create(proposal=proposal, reviewer=user, state=state)


def row_of(page, name) -> list[str]:
    row = page[page.index(f'<th scope="row">{name}</th>'):]
    row = row[:row.index("</tr>")]
    return [cell.split("</td>")[0].replace("<strong>", "").replace("</strong>", "") for cell in row.split(">", 1)[1].split("<td")[1:]]


@role_matrix(READ)
def test_the_reviews_tab_is_for_the_calls_managers_support_and_staff(client, world, role, expected):
    response = signed_in(client, role_user(world, role)).get(tab_url(world.call, "reviews"))
    assert response.status_code == expected
    assert (world.proposal.name in html(response)) == (expected == 200)


def test_each_proposal_shows_its_reviews_against_the_number_needed_least_advanced_first(client, world):
    config = world.call.matching_config
    config.min_reviewers_per_proposal = 2
    config.save()
    review(world.proposal, world.reviewer, "submitted")
    review(world.proposal, f.user(), "in_review")
    review(world.proposal, f.user(), "rejected")
    page = html(signed_in(client, world.manager).get(tab_url(world.call, "reviews")))
    assert page.index(world.proposal2.name) < page.index(world.proposal.name)
    cells = [cell.split(">", 1)[1] for cell in row_of(page, world.proposal.name)]
    assert cells == ["Submitted", "2", "1", "1", "1", "0"]  # state, needed, in review, submitted, rejected, to find
    assert [cell.split(">", 1)[1] for cell in row_of(page, world.proposal2.name)][-1] == "2"


def test_overdue_reviews_show_reviewer_and_deadline(client, world, clock):
    world.round.review_duration_in_days = 7
    world.round.save()
    late = review(world.proposal, f.user("lara", first_name="Lara", last_name="Late"))
    review(world.proposal2, world.reviewer, "submitted")
    clock.shift(8 * DAY)
    review(world.proposal2, f.user("otto", first_name="Otto", last_name="Ontime"))
    page = html(signed_in(client, world.manager).get(tab_url(world.call, "reviews")))
    overdue = page[page.index('id="overdue"'):]
    assert "Lara Late" in overdue and "Otto" not in overdue and "1 overdue review<" in overdue
    deadline = late.created + 7 * DAY
    assert f'title="{deadline:%Y-%m-%d %H:%M} UTC"' in overdue


def test_both_lists_are_paged_on_their_own(client, world, clock):
    world.round.review_duration_in_days = 1
    world.round.save()
    proposals = [f.proposal(world.round) for _ in range(30)]
    for proposal in proposals:
        review(proposal, f.user())
    clock.shift(2 * DAY)
    signed_in(client, world.manager)
    page = html(client.get(tab_url(world.call), {"tab": "reviews", "overdue_page": 2}))
    assert "Page 1 of 2 (32 proposals)" in page and "Page 2 of 2 (30 overdue reviews)" in page
    assert "overdue_page=2&amp;page=2" in page or "page=2&amp;overdue_page=2" in page  # next keeps the other list's page


def test_the_reviews_tab_costs_the_same_queries_for_many_proposals_and_reviews(client, world, clock):
    world.round.review_duration_in_days = 1
    world.round.save()
    review(world.proposal, world.reviewer)
    clock.shift(2 * DAY)
    signed_in(client, world.manager)
    url = tab_url(world.call, "reviews")
    client.get(url)
    before = count_queries(client, url)
    clock.shift(-2 * DAY)
    for _ in range(30):
        proposal = f.proposal(world.round)
        review(proposal, f.user())
        review(proposal, f.user(), "submitted")
    clock.shift(2 * DAY)
    assert count_queries(client, url) == before
