"""An item holds its batch's call and pool entry (`AssignmentItem.copy_from_batch`), and a review
its proposal's call, however they are written: a manager's items and reviews are read by call."""

import pytest

from referee.assignments.domain import accept_item
from referee.assignments.models import AssignmentItem
from referee.reviews.models import Review
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_saved_item_takes_its_batchs_call_and_entry(world):
    item = f.item(f.batch(world.entry), world.proposal)
    item.refresh_from_db()
    assert (item.call_id, item.pool_entry_id) == (world.call.pk, world.entry.pk)


def test_items_written_together_take_their_batchs_call_and_entry(world):
    other_entry = f.pool_entry(world.other_call, world.profile)
    here, there = f.batch(world.entry), f.batch(other_entry)
    elsewhere = f.proposal(f.round_(world.other_call))
    AssignmentItem.objects.bulk_create([AssignmentItem(batch=here, proposal=world.proposal),
                                        AssignmentItem(batch=there, proposal=elsewhere)])
    assert set(AssignmentItem.objects.values_list("batch_id", "call_id", "pool_entry_id")) == {
        (here.pk, world.call.pk, world.entry.pk), (there.pk, world.other_call.pk, other_entry.pk)}


def test_a_manager_sees_the_items_of_their_calls_by_that_call(world):
    mine = f.item(f.batch(world.entry), world.proposal)
    other_entry = f.pool_entry(world.other_call, f.profile(f.user()))
    f.item(f.batch(other_entry), f.proposal(f.round_(world.other_call)))
    assert list(AssignmentItem.objects.visible_to(world.manager)) == [mine]
    sql = str(AssignmentItem.objects.visible_to(world.manager).query)
    assert "assignments_assignmentbatch" not in sql.split("OR")[0]  # the managed branch reads the item's call


def test_a_review_takes_its_proposals_call_however_it_is_created(world):
    direct = Review.objects.create(proposal=world.proposal, reviewer=f.user())
    item = f.item(f.batch(world.entry, status="sent"), world.proposal2)
    accepted = accept_item(item, actor=world.reviewer)
    assert {Review.objects.get(pk=review.pk).call_id for review in (direct, accepted)} == {world.call.pk}


def test_a_manager_sees_the_reviews_of_their_calls_by_that_call(world):
    mine = Review.objects.create(proposal=world.proposal, reviewer=world.reviewer)
    Review.objects.create(proposal=f.proposal(f.round_(world.other_call)), reviewer=world.reviewer)
    assert list(Review.objects.visible_to(world.manager)) == [mine]
    assert "calls_proposal" not in str(Review.objects.visible_to(world.manager).query)
