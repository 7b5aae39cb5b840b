"""Issue check: with the demo loaded, the published client calls every `assignment_batches_*`
and `my_assignment_batches_*` function with the demo tokens and gets parsed objects back."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from waldur_api_client import AuthenticatedClient
from waldur_api_client.api.assignment_batches import (
    assignment_batches_cancel,
    assignment_batches_count,
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
from waldur_api_client.models import (
    AssignmentBatch,
    AssignmentBatchList,
    AssignmentBatchListOEnum,
    AssignmentBatchRequest,
    AssignmentBatchStatus,
    ExtendDeadlineRequestRequest,
    MyAssignmentBatch,
    MyAssignmentBatchDetail,
    PatchedAssignmentBatchRequest,
    SendAssignmentBatchRequest,
)

from referee.assignments.models import AssignmentBatch as Batch

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(settings, tmp_path, live_server):
    settings.VAR_DIR = tmp_path / "var"
    call_command("load_demo")
    tokens = json.loads((settings.VAR_DIR / "demo-tokens.json").read_text())
    clients = {name: AuthenticatedClient(base_url=live_server.url, token=entry["token"]) for name, entry in tokens.items()}
    yield clients
    for client in clients.values():
        client.get_httpx_client().close()


def test_every_batch_function_parses_with_demo_tokens(demo):
    manager = demo["manager"]
    rows = assignment_batches_list.sync(client=manager, page_size=100, o=[AssignmentBatchListOEnum.VALUE_0])
    assert rows and all(isinstance(row, AssignmentBatchList) for row in rows)
    assert {row.status for row in rows} >= {s for s in AssignmentBatchStatus}
    assert assignment_batches_count.sync(client=manager) == Batch.objects.count()
    sent = assignment_batches_list.sync(client=manager, status=[AssignmentBatchStatus.SENT])
    assert sent and {row.status for row in sent} == {AssignmentBatchStatus.SENT}
    detail = assignment_batches_retrieve.sync(sent[0].uuid, client=manager)
    assert isinstance(detail, AssignmentBatch) and detail.items
    patched = assignment_batches_partial_update.sync(sent[0].uuid, client=manager,
                                                     body=PatchedAssignmentBatchRequest(manager_notes="Thanks!"))
    assert patched.manager_notes == "Thanks!"
    updated = assignment_batches_update.sync(sent[0].uuid, client=manager, body=AssignmentBatchRequest(manager_notes="Again"))
    assert updated.manager_notes == "Again"
    later = Batch.objects.get(uuid=sent[0].uuid).expires_at + timedelta(days=3)
    extended = assignment_batches_extend_deadline.sync(sent[0].uuid, client=manager,
                                                       body=ExtendDeadlineRequestRequest(expires_at=later))
    assert extended.expires_at == later
    draft = assignment_batches_list.sync(client=manager, status=[AssignmentBatchStatus.DRAFT])[0]
    assert assignment_batches_send.sync(draft.uuid, client=manager, body=SendAssignmentBatchRequest()).expires_at > timezone.now()
    assert assignment_batches_cancel.sync(draft.uuid, client=manager).message == "Assignment batch cancelled."


def test_reviewers_read_their_batches_with_demo_tokens(demo):
    seen = 0
    for name, client in demo.items():
        if not name.startswith("reviewer"):
            continue
        batches = my_assignment_batches_list.sync(client=client)  # the client sends no filter: sent ones
        assert all(isinstance(b, MyAssignmentBatch) and b.status == "sent" for b in batches)
        assert my_assignment_batches_count.sync(client=client) == len(batches)
        for batch in batches:
            detail = my_assignment_batches_retrieve.sync(str(batch.uuid), client=client)
            assert isinstance(detail, MyAssignmentBatchDetail) and detail.uuid == batch.uuid
            seen += 1
    assert seen == Batch.objects.filter(status="sent").count() >= 1
