"""Undo of a generation (issue 13): any deployed generation of the call, the last one or an
earlier one a top-up followed, has its unsent draft items withdrawn and the drafts it created
deleted; what was sent stays, other generations' items stay, and the deployed preview is given
back when all of it was withdrawn. Refused in words when nothing of it is an unsent draft."""

from importlib import import_module

import pytest
from django.apps import apps as django_apps

from referee.assignments.domain import create_manual_assignment, send_all_batches, send_batch
from referee.assignments.domain.preview_edits import start_preview
from referee.assignments.domain.undo import ALL_SENT, ALREADY_UNDONE, NOT_FOUND, undo_generation
from referee.assignments.generation import deploy_preview, generate_assignments
from referee.assignments.models import (
    AssignmentBatch,
    AssignmentItem,
    DeployedGeneration,
    GenerationPreview,
    ProposedAssignment,
)
from referee.assignments.preview_queries import deployed_generations
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
    result = deploy_preview(w.call, user=w.manager, preview_uuid=GenerationPreview.objects.get(call=w.call).uuid)
    return result, DeployedGeneration.objects.filter(call=w.call).latest("created")


def undo(w, generation):
    return undo_generation(w.call, actor=w.manager, generation_uuid=generation.uuid)


def top_up(w):
    """A new proposal, scored: the next generation assigns only it."""
    f.proposal(w.round, created_by=w.applicant)
    w.proposals = list(w.call.rounds.first().proposals.order_by("id"))
    set_scores(w.call, w.proposals, w.entries, [[0.5] * 3] * len(w.proposals))


def items(w) -> set:
    return set(AssignmentItem.objects.filter(batch__call=w.call).values_list("id", flat=True))


def test_undo_withdraws_the_deployments_drafts_and_gives_the_preview_back(w):
    result, generation = preview_and_deploy(w)
    assert AssignmentItem.objects.filter(generation=generation).count() == result.items_created == 3
    undone = undo(w, generation)
    assert (undone.items_withdrawn, undone.batches_deleted, undone.items_kept) == (3, result.batches_created, 0)
    assert undone.preview_returned
    assert not AssignmentItem.objects.filter(batch__call=w.call).exists()
    assert not AssignmentBatch.objects.filter(call=w.call).exists()
    preview = GenerationPreview.objects.get(call=w.call)
    assert preview.deployed_at is None
    assert ProposedAssignment.objects.filter(call=w.call, is_deployed=False).count() == 3
    (event,) = events(AuditEventType.ASSIGNMENTS_GENERATION_UNDONE)
    assert event.object_uuid == generation.uuid and event.context["items_withdrawn"] == 3
    assert event.context["preview_uuid"] == preview.uuid.hex
    assert len(events(AuditEventType.ASSIGNMENT_BATCH_DELETED)) == result.batches_created
    # The preview given back deploys again, exactly as before, as a generation of its own.
    assert deploy_preview(w.call, user=w.manager, preview_uuid=preview.uuid).items_created == 3
    assert DeployedGeneration.objects.filter(call=w.call).count() == 2


def test_undo_keeps_a_reused_draft_and_the_items_a_manager_added(w):
    manual = create_manual_assignment(w.call, actor=w.manager, reviewer_pool_entry_uuid=w.entries[0].uuid,
                                      proposal_uuids=[w.proposals[0].uuid])
    _, generation = preview_and_deploy(w)
    undo(w, generation)
    (kept,) = AssignmentItem.objects.filter(batch__call=w.call)
    assert kept.batch.uuid == manual.batch_uuid and kept.proposal == w.proposals[0]


def test_undo_after_a_batch_was_sent_withdraws_the_rest_and_keeps_what_was_sent(w):
    _, generation = preview_and_deploy(w)
    sent = AssignmentBatch.objects.filter(call=w.call).order_by("id").first()
    send_batch(sent, actor=w.manager)
    sent_items = set(sent.items.values_list("id", flat=True))
    undone = undo(w, generation)
    assert (undone.items_withdrawn, undone.items_kept, undone.preview_returned) == (3 - len(sent_items), len(sent_items),
                                                                                   False)
    assert items(w) == sent_items and list(AssignmentBatch.objects.filter(call=w.call)) == [sent]
    # The withdrawn pairs are neither proposed nor assigned any more; the sent ones stay deployed.
    kept = {(i.proposal_id, i.pool_entry.reviewer_id) for i in AssignmentItem.objects.filter(id__in=sent_items)}
    assert set(ProposedAssignment.objects.filter(call=w.call).values_list("proposal_id", "reviewer_id")) == kept
    assert GenerationPreview.objects.get(call=w.call).deployed_at is not None
    with pytest.raises(DomainError) as refused:
        undo(w, generation)  # what is left was sent
    assert refused.value.message == ALL_SENT.format(items=len(sent_items))


def test_undo_once_everything_was_sent_is_refused_in_words_and_withdraws_nothing(w):
    _, generation = preview_and_deploy(w)
    send_all_batches(w.call, actor=w.manager)
    with pytest.raises(DomainError) as refused:
        undo(w, generation)
    assert "sent to reviewers, so nothing was withdrawn" in refused.value.message
    assert AssignmentItem.objects.filter(batch__call=w.call).count() == 3
    assert not events(AuditEventType.ASSIGNMENTS_GENERATION_UNDONE)


def test_undone_once_then_refused_and_another_calls_generation_is_not_found(w):
    _, generation = preview_and_deploy(w)
    undo(w, generation)
    with pytest.raises(DomainError) as refused:
        undo(w, generation)
    generation.refresh_from_db()
    assert refused.value.message == ALREADY_UNDONE.format(when=generation.undone_at)
    other = build_call(1, 1, min_reviewers_per_proposal=1)
    foreign = DeployedGeneration.objects.create(call=other.call)
    with pytest.raises(DomainError, match=NOT_FOUND):
        undo(w, foreign)


def test_an_earlier_generation_is_undone_after_a_top_up_and_the_later_ones_items_stay(w):
    _, first = preview_and_deploy(w)
    mine = items(w)
    top_up(w)
    _, second = preview_and_deploy(w)
    later = items(w) - mine
    assert len(later) == 1 and set(AssignmentItem.objects.filter(generation=second).values_list("id", flat=True)) == later
    undone = undo(w, first)  # the earlier one: its preview was replaced by the top-up's
    assert undone.items_withdrawn == 3 and not undone.preview_returned
    assert items(w) == later
    # Its pairs' deployed rows are gone; the top-up's preview is untouched and still deployed.
    assert ProposedAssignment.objects.filter(call=w.call).count() == 1
    assert GenerationPreview.objects.get(call=w.call).deployed_at is not None
    counts = {g.uuid: (g.unsent, g.sent, g.undone_at is not None) for g in deployed_generations(w.call)}
    assert counts == {first.uuid: (0, 0, True), second.uuid: (1, 0, False)}
    assert undo(w, second).preview_returned  # the last one still gives its preview back


def test_the_later_generation_is_undone_and_the_earlier_ones_items_stay(w):
    _, first = preview_and_deploy(w)
    mine = items(w)
    top_up(w)
    _, second = preview_and_deploy(w)
    undo(w, second)
    assert items(w) == mine


def test_a_generation_run_without_preview_is_undone_too(w):
    generate_assignments(w.call, user=w.manager)
    (generation,) = DeployedGeneration.objects.filter(call=w.call)
    assert generation.preview_uuid is None
    undone = undo(w, generation)
    assert undone.items_withdrawn == 3 and not undone.preview_returned
    assert not AssignmentItem.objects.filter(batch__call=w.call).exists()
    assert not ProposedAssignment.objects.filter(call=w.call).exists()


def test_the_migration_records_the_deployment_undoable_before_it(w):
    """assignments/0012 finds the deployed preview's items by the old span rule and records them
    as one DeployedGeneration, which undo then withdraws as before."""
    backfill = import_module("referee.assignments.migrations.0012_deployed_generation").record_the_deployed_preview
    manual = create_manual_assignment(w.call, actor=w.manager, reviewer_pool_entry_uuid=w.entries[0].uuid,
                                      proposal_uuids=[w.proposals[0].uuid])
    result, _ = preview_and_deploy(w)
    deployed = items(w) - set(AssignmentItem.objects.filter(batch__uuid=manual.batch_uuid).values_list("id", flat=True))
    DeployedGeneration.objects.all().delete()  # the items' generation is set null: as before 0012
    backfill(django_apps, None)
    (generation,) = DeployedGeneration.objects.filter(call=w.call)
    assert generation.preview_uuid == GenerationPreview.objects.get(call=w.call).uuid
    assert set(AssignmentItem.objects.filter(generation=generation).values_list("id", flat=True)) == deployed
    undone = undo(w, generation)
    assert (undone.items_withdrawn, undone.batches_deleted, undone.preview_returned) == (
        result.items_created, result.batches_created, True)
