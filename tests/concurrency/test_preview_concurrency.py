"""Deploying a preview races (issue 10, item 6): generation's locks serialise it with a second
deployment and with manual assignment, so the previewed pairs are created once or not at all."""

import pytest

from referee.assignments.models import AssignmentItem, ProposedAssignment
from referee.core.models import AuditEvent
from tests.concurrency.test_batch_concurrency import post
from tests.engine.test_generation import build_call
from tests.helpers import ROUNDS, client_for, race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def previewed(w) -> str:
    response = client_for(w.manager).post(f"/api/proposal-protected-calls/{w.call.uuid.hex}/generate-assignments/",
                                          {"dry_run": True}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["preview_uuid"]


def test_two_deployments_of_one_preview():
    for _ in range(ROUNDS):
        w = build_call(3, 3, min_reviewers_per_proposal=2)
        path = f"/api/proposal-protected-calls/{w.call.uuid.hex}/deploy-preview/"
        body = {"preview_uuid": previewed(w)}
        responses = race(post(w.manager, path, body), post(w.manager, path, body))
        assert sorted(r.status_code for r in responses) == [200, 400]
        refused = next(r for r in responses if r.status_code == 400)
        assert refused.json()["preview_uuid"][0].startswith("This preview was already deployed on ")
        assert AssignmentItem.objects.filter(batch__call=w.call).count() == 6
        assert AuditEvent.objects.filter(event_type="ASSIGNMENTS_GENERATED", call=w.call).count() == 1


def test_deployment_racing_a_manual_assignment_of_a_previewed_pair():
    for _ in range(ROUNDS):
        w = build_call(2, 3, min_reviewers_per_proposal=2)
        preview = previewed(w)
        row = ProposedAssignment.objects.filter(call=w.call, is_deployed=False).first()
        entry = next(e for e in w.entries if e.reviewer_id == row.reviewer_id)
        base = f"/api/proposal-protected-calls/{w.call.uuid.hex}/"
        deployed, manual = race(
            post(w.manager, base + "deploy-preview/", {"preview_uuid": preview}),
            post(w.manager, base + "create-manual-assignment/",
                 {"reviewer_pool_entry_uuid": entry.uuid.hex, "proposal_uuids": [row.proposal.uuid.hex]}))
        assert manual.status_code == 200, manual.content
        held = AssignmentItem.objects.filter(pool_entry=entry, proposal=row.proposal)
        assert held.count() == 1  # never twice, whichever ran first
        if deployed.status_code == 200:  # deployed first: the manual request found the pair taken
            assert manual.json()["items_created"] == 0
            assert AssignmentItem.objects.filter(batch__call=w.call).count() == 4
        else:  # the manual item came first: the preview no longer holds
            assert deployed.json()["detail"].startswith(
                "The preview is out of date: the call's assignments and open reviews changed")
            assert AssignmentItem.objects.filter(batch__call=w.call).count() == 1
