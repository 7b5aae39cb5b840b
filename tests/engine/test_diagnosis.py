"""The shortfall diagnosis of a generation (issue 13): on constructed calls whose fix is known, the
diagnosis names the proposals, the cause and the fix in numbers; applying the fix and generating
again covers the call. Also in the preview, deploy-preview, the API answer and the audit event."""

import numpy as np
import pytest
from waldur_api_client.models import GenerateAssignmentsResponse

from referee.assignments.models import GenerationPreview
from referee.conflicts.models import ConflictOfInterest
from referee.core.models import AuditEvent
from referee.reviewers.models import CallReviewerPool
from tests import factories as f
from tests.engine.test_generation import build_call, configure, generate, set_scores
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def invite(w, n, score=0.9):
    """`n` more accepted reviewers, each scoring `score` with every proposal."""
    w.entries += [f.pool_entry(w.call, f.profile(f.user())) for _ in range(n)]
    w.scores = np.hstack([w.scores, np.full((len(w.proposals), n), score)])
    set_scores(w.call, w.proposals, w.entries, w.scores)


def covered(w) -> bool:
    result = generate(w, dry_run=True)
    return result.skipped_proposals == [] and result.diagnosis == []


def saturated_call():
    """4 proposals want 3 reviewers each from 6 reviewers who take 1 each: 12 reviews, 6 places."""
    w = build_call(4, 6, np.full((4, 6), 0.8), min_reviewers_per_proposal=3)
    CallReviewerPool.objects.filter(call=w.call).update(max_assignments=1)
    return w


def test_saturated_reviewers_raised_by_the_stated_amount_cover_the_call():
    w = saturated_call()
    result = generate(w, dry_run=True)
    [finding] = result.diagnosis
    assert finding["cause"] == "capacity"
    assert finding["proposal_uuids"] == [p.uuid.hex for p in w.proposals]
    assert finding["reviewer_uuids"] == [e.reviewer.uuid.hex for e in w.entries]
    # A new reviewer takes 5 (the default max_assignments), at most one place of each of the 4 proposals.
    assert finding["fix"] == {
        "missing_reviews": 6, "invite_reviewers": 2, "raise_max_assignments_by": 1,
        "max_assignments": {e.uuid.hex: 2 for e in w.entries}, "max_proposals_per_reviewer": None,
        "min_affinity_threshold": None, "removed_by": None}
    names = ", ".join(f"“{p.name}”" for p in w.proposals[:3])
    assert finding["message"] == (
        f"4 proposals ({names} and 1 more) together need 6 more reviews than the 6 reviewers eligible for these "
        "proposals have places left: each of them is at their maximum load. Raise the maximum load "
        "(max_assignments) of these 6 reviewers by 1, or invite 2 more reviewers eligible for these proposals.")
    # Every short proposal's suggestion ends with the cut's fix.
    assert result.skipped_proposals and all(
        s["blocking_rule"] == "capacity" and s["suggestion"].endswith(
            "raise the maximum load (max_assignments) of these 6 reviewers by 1, or invite 2 more reviewers eligible "
            "for these proposals.") for s in result.skipped_proposals)
    for entry_uuid, limit in finding["fix"]["max_assignments"].items():
        CallReviewerPool.objects.filter(uuid=entry_uuid).update(max_assignments=limit)
    assert covered(w)


def test_or_the_stated_number_of_new_reviewers_cover_it():
    w = saturated_call()
    [finding] = generate(w, dry_run=True).diagnosis
    invite(w, finding["fix"]["invite_reviewers"])  # 2 new reviewers of the default load (5)
    assert covered(w)


def test_the_call_wide_maximum_is_named_when_it_binds():
    w = build_call(3, 2, np.full((3, 2), 0.8), min_reviewers_per_proposal=2, max_proposals_per_reviewer=2)
    [finding] = generate(w, dry_run=True).diagnosis
    assert (finding["cause"], finding["fix"]["raise_max_assignments_by"],
            finding["fix"]["max_proposals_per_reviewer"]) == ("capacity", 1, 3)
    assert "by 1 and max_proposals_per_reviewer to 3, or invite" in finding["message"]
    configure(w, max_proposals_per_reviewer=3)
    assert covered(w)  # max_assignments is 5 already


def test_a_pool_smaller_than_the_demand_needs_invitations():
    w = build_call(2, 2, np.full((2, 2), 0.8), min_reviewers_per_proposal=3)
    [finding] = generate(w, dry_run=True).diagnosis
    assert (finding["cause"], finding["fix"]["missing_reviews"], finding["fix"]["invite_reviewers"]) == ("pool", 2, 1)
    assert finding["message"].endswith("need more reviewers than the 2 who accepted the pool invitation: 2 reviews "
                                       "are missing. Invite 1 more reviewer eligible for these proposals.")
    invite(w, 1)
    assert covered(w)


def test_conflicts_that_leave_too_few_eligible_reviewers():
    w = build_call(2, 3, np.full((2, 3), 0.8), min_reviewers_per_proposal=2)
    short = w.proposals[1]
    for entry in w.entries[:2]:
        ConflictOfInterest.objects.create(reviewer=entry.reviewer, proposal=short, call=w.call,
                                          coi_type="INST_SAME", severity="real", rule="recusal_required")
    [finding] = generate(w, dry_run=True).diagnosis
    assert (finding["cause"], finding["proposal_uuids"]) == ("eligibility", [short.uuid.hex])
    assert finding["fix"] == {"missing_reviews": 1, "invite_reviewers": 1, "min_affinity_threshold": None,
                              "removed_by": {"conflicts": 2}, "raise_max_assignments_by": None,
                              "max_assignments": None, "max_proposals_per_reviewer": None}
    assert finding["message"] == (
        f"Proposal “{short.name}” has fewer eligible reviewers than it needs: 1 review is missing (reviewers removed "
        "by blocking conflicts of interest 2). Invite 1 more reviewer eligible for it.")
    invite(w, 1)
    assert covered(w)


def test_a_threshold_that_leaves_too_few_names_the_threshold_that_covers():
    w = build_call(1, 4, [[0.08, 0.0612, 0.05, 0.02]], min_reviewers_per_proposal=3)
    [finding] = generate(w, dry_run=True).diagnosis
    assert (finding["cause"], finding["fix"]["min_affinity_threshold"]) == ("eligibility", 0.05)
    assert finding["message"].endswith("Invite 3 more reviewers eligible for it, or lower min_affinity_threshold to "
                                       "0.05.")
    configure(w, min_affinity_threshold=0.05)
    assert covered(w)


def test_both_parts_at_once_and_their_fixes_together():
    # Proposal 0 has conflicts with all but one reviewer; proposals 1-3 share 3 reviewers of 1 place.
    w = build_call(4, 4, np.full((4, 4), 0.8), min_reviewers_per_proposal=2)
    CallReviewerPool.objects.filter(call=w.call).update(max_assignments=1)
    for entry in w.entries[1:]:
        ConflictOfInterest.objects.create(reviewer=entry.reviewer, proposal=w.proposals[0], call=w.call,
                                          coi_type="INST_SAME", severity="real", rule="recusal_required")
    result = generate(w, dry_run=True)
    assert [d["cause"] for d in result.diagnosis] == ["eligibility", "capacity"]
    eligibility, capacity = result.diagnosis
    missing = sum(s["required"] - s["assigned"] for s in result.skipped_proposals)
    assert eligibility["fix"]["missing_reviews"] + capacity["fix"]["missing_reviews"] == missing
    for entry_uuid, limit in capacity["fix"]["max_assignments"].items():
        CallReviewerPool.objects.filter(uuid=entry_uuid).update(max_assignments=limit)
    invite(w, eligibility["fix"]["invite_reviewers"])
    assert covered(w)


def test_a_covered_call_has_no_diagnosis():
    w = build_call(2, 3)
    assert generate(w).diagnosis == []


def test_the_preview_deploy_preview_the_api_and_the_audit_event_carry_it():
    w = saturated_call()
    client = client_for(w.manager)
    base = f"/api/proposal-protected-calls/{w.call.uuid.hex}/"
    body = client.post(base + "generate-assignments/", {"dry_run": True}, format="json").json()
    GenerateAssignmentsResponse.from_dict(body)  # the client still parses it
    [finding] = body["diagnosis"]
    assert finding["fix"]["raise_max_assignments_by"] == 1
    assert GenerationPreview.objects.get(call=w.call).report["diagnosis"] == body["diagnosis"]
    deployed = client.post(base + "deploy-preview/", {"preview_uuid": body["preview_uuid"]}, format="json")
    assert deployed.status_code == 200, deployed.content
    assert deployed.json()["diagnosis"] == body["diagnosis"]
    event = AuditEvent.objects.get(event_type="ASSIGNMENTS_GENERATED", call=w.call)
    assert event.context["diagnosis"] == body["diagnosis"]
