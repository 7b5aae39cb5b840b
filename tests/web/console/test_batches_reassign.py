"""The Batches tab's alternatives and reassign (issue 13): for an item that needs another
reviewer, the API's ranked `suggest_alternatives`, and reassign through the API's domain
function, every guard refused in the API's words; who may read and who may act."""

import pytest
from django.utils.html import escape

from referee.assignments.domain import reassign as rules
from referee.assignments.item_views import REASSIGNED_MESSAGE
from referee.assignments.models import AffinityScore, AssignmentItem
from tests import factories as f
from tests.helpers import count_queries, html, role_matrix, role_user, signed_in
from tests.web.console.helpers import READ, acting

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def declined(world):
    """The world's reviewer declined `proposal`; Ada (affinity 0.9) and Bo (0.4) could take it."""
    item = f.item(f.batch(world.entry, status="responded"), world.proposal, status="declined")
    world.ada = f.pool_entry(world.call, f.profile(f.user("ada", first_name="Ada", last_name="Alt")))
    world.bo = f.pool_entry(world.call, f.profile(f.user("bo", first_name="Bo", last_name="Backup")))
    for entry, score in ((world.ada, 0.9), (world.bo, 0.4)):
        AffinityScore.objects.create(call=world.call, reviewer=entry.reviewer, proposal=world.proposal,
                                     affinity_score=score, method="combined", keyword_weight=0.4, text_weight=0.6)
    return item


def url(item, name):
    return f"/call/{item.batch.call.uuid}/manage/batches/items/{item.uuid}/{name}/?tab=batches"


def reassign(client, item, entry, **extra):
    return client.post(url(item, "reassign"), {"reviewer_pool_entry_uuid": str(entry.uuid)}, **extra)


@role_matrix(READ)
def test_the_alternatives_are_read_by_managers_support_and_staff(client, world, declined, role, expected):
    response = signed_in(client, role_user(world, role)).get(url(declined, "alternatives"))
    assert response.status_code == expected
    page = html(response)
    assert ("Ada Alt" in page) == (expected == 200)
    if expected == 200:
        assert page.index("Ada Alt") < page.index("Bo Backup")  # the API's ranking: best affinity first
        assert ("Reassign<" in page) == (role != "support")


def test_the_batches_tab_offers_the_alternatives_of_a_declined_item_only(client, world, declined):
    pending = f.item(f.batch(world.entry, status="sent"), world.proposal2)
    page = html(signed_in(client, world.manager).get(f"/call/{world.call.uuid}/manage/", {"tab": "batches"}))
    assert url(declined, "alternatives").split("?")[0] in page
    assert url(pending, "alternatives").split("?")[0] not in page


def test_the_alternatives_in_place_are_a_fragment(client, world, declined):
    response = signed_in(client, world.manager).get(url(declined, "alternatives"), **HTMX)
    assert response.status_code == 200
    assert "<html" not in html(response) and "Ada Alt" in html(response)


@role_matrix(acting(302))
def test_reassign_is_for_managers_and_staff(client, world, declined, role, expected):
    response = reassign(signed_in(client, role_user(world, role)), declined, world.ada)
    assert response.status_code == expected
    declined.refresh_from_db()
    acted = role in ("manager", "staff")
    assert declined.status == ("reassigned" if acted else "declined")
    if acted:
        assert response["Location"] == f"/call/{world.call.uuid}/manage/?tab=batches"
        new = AssignmentItem.objects.get(reassigned_from=declined)
        assert new.pool_entry == world.ada and new.batch.status == "draft"
        assert REASSIGNED_MESSAGE in html(client.get(response["Location"]))


def test_reassign_in_place_redraws_the_batch(client, world, declined):
    response = reassign(signed_in(client, world.manager), declined, world.bo, **HTMX)
    assert response.status_code == 200
    page = html(response)
    assert f'<tbody id="batch-{declined.batch.uuid.hex}">' in page and REASSIGNED_MESSAGE in page
    assert "Reassigned to another reviewer" in page


def test_alternatives_of_an_item_that_needs_none_are_refused_in_the_apis_words(client, world):
    pending = f.item(f.batch(world.entry, status="sent"), world.proposal)
    response = signed_in(client, world.manager).get(url(pending, "alternatives"))
    assert response.status_code == 400 and escape(rules.ONLY_SUGGESTABLE) in html(response)


def full(entry):
    """`entry` at its maximum load (one open assignment, maximum one)."""
    entry.max_assignments = 1
    entry.save()
    f.item(f.batch(entry, status="sent"), f.proposal(f.round_(entry.call)))


@pytest.mark.parametrize(("case", "refusal"), [
    ("pending item", rules.ONLY_REASSIGNABLE),
    ("to the same reviewer", rules.ENTRY_NOT_ELIGIBLE),
    ("to a reviewer of another call", rules.ENTRY_NOT_ELIGIBLE),
    ("already assigned", rules.ALREADY_ASSIGNED),
    ("proposal closed", rules.PROPOSAL_CLOSED),
    ("at maximum load", "Reviewer has 1 open assignments (limit 1); this request would add 1."),
    ("not a uuid", "Enter a valid UUID."),
])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_every_reassign_guard_is_refused_in_the_apis_words_and_nothing_changes(client, world, declined, case, refusal, htmx):
    item, target = declined, world.ada
    if case == "pending item":
        item = f.item(f.batch(world.entry, status="sent"), world.proposal2)
    elif case == "to the same reviewer":
        target = world.entry
    elif case == "to a reviewer of another call":
        target = f.pool_entry(world.other_call, f.profile(f.user()))
    elif case == "already assigned":
        f.item(f.batch(world.ada), world.proposal)
    elif case == "proposal closed":
        world.proposal.state = "accepted"
        world.proposal.save()
    elif case == "at maximum load":
        full(world.ada)
    signed_in(client, world.manager)
    extra = HTMX if htmx else {}
    if case == "not a uuid":
        response = client.post(url(item, "reassign"), {"reviewer_pool_entry_uuid": "nope"}, **extra)
    else:
        response = reassign(client, item, target, **extra)
    assert response.status_code == 400
    assert escape(refusal) in html(response)
    if htmx:  # the refusal stays in the item's list of alternatives
        assert response["HX-Retarget"] == f"#alternatives-{item.uuid.hex}"
    status = item.status
    item.refresh_from_db()
    assert item.status == status and not AssignmentItem.objects.filter(reassigned_from=item).exists()


def test_a_full_reviewer_can_be_chosen_beyond_their_maximum(client, world, declined):
    full(world.ada)
    signed_in(client, world.manager)
    page = html(client.get(url(declined, "alternatives")))
    assert "(full)" in page and "beyond their maximum" in page
    response = client.post(url(declined, "reassign"), {"reviewer_pool_entry_uuid": str(world.ada.uuid),
                                                       "override_workload_limit": "on"})
    assert response.status_code == 302
    assert AssignmentItem.objects.get(reassigned_from=declined).pool_entry == world.ada


def test_the_alternatives_cost_the_same_queries_for_a_bigger_pool(client, world, declined):
    signed_in(client, world.manager)
    alternatives = url(declined, "alternatives").split("?")[0]
    client.get(alternatives)
    before = count_queries(client, alternatives)
    for _ in range(12):
        entry = f.pool_entry(world.call, f.profile(f.user()))
        AffinityScore.objects.create(call=world.call, reviewer=entry.reviewer, proposal=world.proposal,
                                     affinity_score=0.5, method="combined", keyword_weight=0.4, text_weight=0.6)
    assert count_queries(client, alternatives) == before
    assert html(client.get(alternatives)).count('name="reviewer_pool_entry_uuid"') == 10  # the API's ten best
