"""Undo of a generation (issue 13): the last deployed preview's draft items are withdrawn, the
drafts it created deleted, the preview given back; refused in words once a reviewer was sent
any of them, and when there is nothing to undo."""

import pytest

from referee.assignments.domain import create_manual_assignment, send_all_batches, send_batch
from referee.assignments.domain.preview_edits import start_preview
from referee.assignments.domain.undo import NOTHING_TO_UNDO, undo_generation
from referee.assignments.generation import deploy_preview
from referee.assignments.models import AssignmentBatch, AssignmentItem, GenerationPreview, ProposedAssignment
from referee.core.enums import AuditEventType
from referee.core.errors import DomainError
from tests import factories as f
from tests.engine.test_generation import build_call, set_scores
from tests.engine.test_matching_jobs import run_now
from tests.helpers import events

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    w = build_call(3, 3, min_reviewers_per_proposal=1, max_proposals_per_reviewer=3)
    return w


def preview_and_deploy(w):
    run_now(start_preview, w.call, user=w.manager, algorithm="minmax")
    return deploy_preview(w.call, user=w.manager, preview_uuid=GenerationPreview.objects.get(call=w.call).uuid)


def test_undo_withdraws_the_deployments_drafts_and_gives_the_preview_back(w):
    result = preview_and_deploy(w)
    assert AssignmentItem.objects.filter(batch__call=w.call).count() == result.items_created == 3
    undone = undo_generation(w.call, actor=w.manager)
    assert (undone.items_withdrawn, undone.batches_deleted) == (3, result.batches_created)
    assert not AssignmentItem.objects.filter(batch__call=w.call).exists()
    assert not AssignmentBatch.objects.filter(call=w.call).exists()
    preview = GenerationPreview.objects.get(call=w.call)
    preview.refresh_from_db()
    assert preview.deployed_at is None
    assert ProposedAssignment.objects.filter(call=w.call, is_deployed=False).count() == 3
    (event,) = events(AuditEventType.ASSIGNMENTS_GENERATION_UNDONE)
    assert event.context["items_withdrawn"] == 3
    assert len(events(AuditEventType.ASSIGNMENT_BATCH_DELETED)) == result.batches_created
    # The preview given back deploys again, exactly as before.
    assert deploy_preview(w.call, user=w.manager, preview_uuid=preview.uuid).items_created == 3


def test_undo_keeps_a_reused_draft_and_the_items_a_manager_added(w):
    manual = create_manual_assignment(w.call, actor=w.manager, reviewer_pool_entry_uuid=w.entries[0].uuid,
                                      proposal_uuids=[w.proposals[0].uuid])
    preview_and_deploy(w)
    undo_generation(w.call, actor=w.manager)
    (kept,) = AssignmentItem.objects.filter(batch__call=w.call)
    assert kept.batch.uuid == manual.batch_uuid and kept.proposal == w.proposals[0]


def test_undo_after_a_batch_was_sent_is_refused_in_words_and_withdraws_nothing(w):
    preview_and_deploy(w)
    send_batch(AssignmentBatch.objects.filter(call=w.call).order_by("id").first(), actor=w.manager)
    with pytest.raises(DomainError) as refused:
        undo_generation(w.call, actor=w.manager)
    assert "already sent to reviewers" in refused.value.message and "nothing was withdrawn" in refused.value.message
    assert AssignmentItem.objects.filter(batch__call=w.call).count() == 3
    send_all_batches(w.call, actor=w.manager)
    with pytest.raises(DomainError, match="already sent"):
        undo_generation(w.call, actor=w.manager)


def test_nothing_to_undo_without_a_deployed_preview(w):
    with pytest.raises(DomainError, match=NOTHING_TO_UNDO[:40]):
        undo_generation(w.call, actor=w.manager)
    run_now(start_preview, w.call, user=w.manager, algorithm="minmax")
    with pytest.raises(DomainError, match=NOTHING_TO_UNDO[:40]):
        undo_generation(w.call, actor=w.manager)
    deploy_preview(w.call, user=w.manager, preview_uuid=GenerationPreview.objects.get(call=w.call).uuid)
    undo_generation(w.call, actor=w.manager)
    with pytest.raises(DomainError, match=NOTHING_TO_UNDO[:40]):
        undo_generation(w.call, actor=w.manager)  # undone once: the preview is a preview again


def test_an_earlier_deployments_items_are_not_this_ones(w):
    preview_and_deploy(w)
    first = set(AssignmentItem.objects.filter(batch__call=w.call).values_list("id", flat=True))
    f.proposal(w.round, created_by=w.applicant)  # a new proposal: the next run assigns only what is new
    w.proposals = list(w.call.rounds.first().proposals.order_by("id"))
    set_scores(w.call, w.proposals, w.entries, [[0.5] * 3] * len(w.proposals))
    preview_and_deploy(w)
    undo_generation(w.call, actor=w.manager)
    assert set(AssignmentItem.objects.filter(batch__call=w.call).values_list("id", flat=True)) == first
