"""The console's preview edits and undo race what they must not interleave with (issue 13): an edit
and a deployment of the same preview take the call's MatchingConfiguration lock, so the deployment
creates either the edited pairs or the original ones, never a mix; an undo and a send of its
batches leave each batch either sent or withdrawn, never both."""

from functools import partial

import pytest

from referee.assignments.domain import send_all_batches
from referee.assignments.domain.preview_edits import start_preview, swap_pairs
from referee.assignments.domain.undo import undo_generation
from referee.assignments.generation import deploy_preview
from referee.assignments.models import (
    AssignmentBatch,
    AssignmentItem,
    DeployedGeneration,
    GenerationPreview,
    ProposedAssignment,
)
from referee.core.errors import DomainError
from tests.engine.test_generation import build_call
from tests.engine.test_matching_jobs import run_now
from tests.helpers import ROUNDS, race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


class Refused(str):
    """A refusal's words, returned as a value: `race` fails on any exception it gets back."""


def attempt(action, *args, **kwargs):
    try:
        return action(*args, **kwargs)
    except DomainError as refusal:
        return Refused(refusal.message)

SCORES = [[0.9, 0.5], [0.5, 0.9]]




def test_a_swap_racing_the_deployment_of_its_preview():
    for _ in range(ROUNDS):
        w = build_call(2, 2, SCORES, min_reviewers_per_proposal=1, max_proposals_per_reviewer=1)
        run_now(start_preview, w.call, user=w.manager, algorithm="minmax")
        first, second = ProposedAssignment.objects.filter(call=w.call).order_by("proposal_id")
        original = {(first.proposal_id, first.reviewer_id), (second.proposal_id, second.reviewer_id)}
        swapped = {(first.proposal_id, second.reviewer_id), (second.proposal_id, first.reviewer_id)}
        preview = GenerationPreview.objects.get(call=w.call).uuid
        swap, deployed = race(
            partial(attempt, swap_pairs, w.call, actor=w.manager, first_uuid=first.uuid, second_uuid=second.uuid),
            partial(deploy_preview, w.call, user=w.manager, preview_uuid=preview))
        assert not isinstance(deployed, Exception), deployed
        made = set(AssignmentItem.objects.filter(batch__call=w.call).values_list(
            "proposal_id", "pool_entry__reviewer_id"))
        if isinstance(swap, Refused):  # deployed first: the swap found the preview deployed
            assert "already deployed" in swap and made == original
        else:
            assert swap is None and made == swapped


def test_an_undo_racing_a_send_of_its_batches():
    for _ in range(ROUNDS):
        w = build_call(2, 2, SCORES, min_reviewers_per_proposal=1, max_proposals_per_reviewer=1)
        run_now(start_preview, w.call, user=w.manager, algorithm="minmax")
        deploy_preview(w.call, user=w.manager, preview_uuid=GenerationPreview.objects.get(call=w.call).uuid)
        generation = DeployedGeneration.objects.get(call=w.call)
        undone, sent = race(partial(attempt, undo_generation, w.call, actor=w.manager, generation_uuid=generation.uuid),
                            partial(send_all_batches, w.call, actor=w.manager))
        statuses = list(AssignmentBatch.objects.filter(call=w.call).values_list("status", flat=True))
        # Each batch is sent (send-all sends them one by one) or withdrawn, never both, none left a draft.
        assert statuses == ["sent"] * sent["batches_sent"]
        assert AssignmentItem.objects.filter(batch__call=w.call).count() == sent["batches_sent"]
        if isinstance(undone, Refused):  # every batch was sent first: nothing withdrawn
            assert "nothing was withdrawn" in undone and sent["batches_sent"] == 2
        else:
            assert undone.items_withdrawn + undone.items_kept == 2 and undone.items_kept == sent["batches_sent"]
