"""The published client (`waldur-api-client` 8.1.3) against a live server: every
`assignment_batches_*` and `my_assignment_batches_*` call parses Referee's answers (§0.1)."""

from datetime import UTC, datetime, timedelta

import pytest
from waldur_api_client import errors
from waldur_api_client.api.assignment_batches import (
    assignment_batches_cancel,
    assignment_batches_count,
    assignment_batches_create,
    assignment_batches_destroy,
    assignment_batches_extend_deadline,
    assignment_batches_list,
    assignment_batches_partial_update,
    assignment_batches_retrieve,
    assignment_batches_send,
    assignment_batches_update,
)
from waldur_api_client.api.my_assignment_batches import (
    my_assignment_batches_count,
    my_assignment_batches_list,
    my_assignment_batches_retrieve,
)
from waldur_api_client.api.proposal_protected_calls import proposal_protected_calls_create_manual_assignment
from waldur_api_client.models import (
    AssignmentBatch,
    AssignmentBatchList,
    AssignmentBatchListOEnum,
    AssignmentBatchRequest,
    AssignmentBatchStatus,
    AssignmentSource,
    CreateManualAssignmentRequest,
    ExtendDeadlineRequestRequest,
    MyAssignmentBatch,
    MyAssignmentBatchDetail,
    PatchedAssignmentBatchRequest,
    SendAssignmentBatchRequest,
)

from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


def test_manager_drives_a_batch_through_the_client(world, waldur):
    manager = waldur(world.manager)
    created = proposal_protected_calls_create_manual_assignment.sync(
        world.call.uuid, client=manager,
        body=CreateManualAssignmentRequest(reviewer_pool_entry_uuid=world.entry.uuid,
                                           proposal_uuids=[world.proposal.uuid, world.proposal2.uuid]),
    )
    assert created.items_created == 2 and created.skipped_proposals == []
    key = created.batch_uuid

    batch = assignment_batches_retrieve.sync(key, client=manager)
    assert isinstance(batch, AssignmentBatch) and batch.status == AssignmentBatchStatus.DRAFT
    assert batch.source == AssignmentSource.MANUAL and len(batch.items) == 2
    assert batch.items[0].review_uuid.int == 0 and batch.items[0].coi_count == 0

    updated = assignment_batches_update.sync(key, client=manager, body=AssignmentBatchRequest(manager_notes="PUT"))
    assert updated.manager_notes == "PUT"
    patched = assignment_batches_partial_update.sync(key, client=manager,
                                                     body=PatchedAssignmentBatchRequest(manager_notes="PATCH"))
    assert patched.manager_notes == "PATCH"

    sent = assignment_batches_send.sync(key, client=manager, body=SendAssignmentBatchRequest(manager_notes="Go"))
    assert sent.detail == "Assignment batch invitation sent successfully." and sent.expires_at.tzinfo is not None

    target = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    extended = assignment_batches_extend_deadline.sync(key, client=manager,
                                                       body=ExtendDeadlineRequestRequest(expires_at=target))
    assert (extended.expires_at, extended.status) == (target, "sent")

    cancelled = assignment_batches_cancel.sync(key, client=manager)
    assert cancelled.message == "Assignment batch cancelled."
    assert assignment_batches_destroy.sync_detailed(key, client=manager).status_code == 204
    with pytest.raises(errors.UnexpectedStatus) as missing:
        assignment_batches_retrieve.sync(key, client=manager)
    assert missing.value.status_code == 404


def test_list_filters_ordering_pages_and_count(world, waldur):
    now = datetime.now(UTC)
    batches = [f.batch(world.entry, status="sent", sent_at=now - timedelta(days=d)) for d in (1, 2, 3)]
    f.batch(world.entry, source="manual")
    client = waldur(world.manager)

    rows = assignment_batches_list.sync(client=client)
    assert len(rows) == 4 and all(isinstance(row, AssignmentBatchList) for row in rows)
    rows = assignment_batches_list.sync(
        client=client, call_uuid=world.call.uuid, reviewer_uuid=world.profile.uuid,
        reviewer_pool_entry_uuid=world.entry.uuid, status=[AssignmentBatchStatus.SENT],
        source=[AssignmentSource.ALGORITHM], sent_after=now - timedelta(days=2, hours=1), sent_before=now,
        o=[AssignmentBatchListOEnum.SENT_AT], page=1, page_size=1,
    )
    assert [row.uuid for row in rows] == [batches[1].uuid]
    assert assignment_batches_count.sync(client=client) == 4
    assert assignment_batches_count.sync(client=client, status=[AssignmentBatchStatus.SENT], page_size=1) == 3


def test_create_is_refused_with_405(world, waldur):
    client = waldur(world.manager)
    with pytest.raises(errors.UnexpectedStatus) as refused:
        assignment_batches_create.sync(client=client, body=AssignmentBatchRequest(manager_notes="x"))
    assert refused.value.status_code == 405


def test_reviewer_reads_own_batches(world, waldur):
    batch = f.batch(world.entry, status="sent")
    f.item(batch, world.proposal, affinity_score=0.5)
    f.batch(world.entry, status="expired")
    reviewer = waldur(world.reviewer)

    rows = my_assignment_batches_list.sync(client=reviewer)
    assert [row.uuid for row in rows] == [batch.uuid] and isinstance(rows[0], MyAssignmentBatch)
    assert my_assignment_batches_count.sync(client=reviewer) == 1
    detail = my_assignment_batches_retrieve.sync(batch.uuid.hex, client=reviewer)
    assert isinstance(detail, MyAssignmentBatchDetail) and detail.items[0].affinity_score == 0.5
    assert detail.items[0]["review_uuid"] is None and detail.items[0]["proposal_description"] == ""
    assert my_assignment_batches_list.sync(client=waldur(world.stranger)) == []
