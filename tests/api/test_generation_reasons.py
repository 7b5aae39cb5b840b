"""`generate-assignments` says why (issue 10, item 3): how many candidate pairs each rule removed,
and for a proposal left short the rule responsible and the setting that would change it — in the
response and in the `ASSIGNMENTS_GENERATED` event. Constructed calls with known answers."""

import pytest
from waldur_api_client.models import GenerateAssignmentsResponse

from referee.assignments.models import AssignmentItem
from referee.conflicts.models import ConflictOfInterest
from referee.core.models import AuditEvent
from tests import factories as f
from tests.engine.test_generation import build_call
from tests.helpers import client_for

pytestmark = pytest.mark.django_db
NO_REMOVALS = {"team_membership": 0, "conflict_bids": 0, "conflicts": 0, "unavailable_reviewers": 0,
               "existing_assignments": 0, "threshold": 0, "capacity": 0}


def generate(w, data=None):
    response = client_for(w.manager).post(f"/api/proposal-protected-calls/{w.call.uuid.hex}/generate-assignments/",
                                          data or {}, format="json")
    assert response.status_code == 200, response.content
    GenerateAssignmentsResponse.from_dict(response.json())  # the client still parses it
    body = response.json()
    assert body["candidate_pairs"] == sum(body["removed_pairs"].values()) + body["eligible_pairs"]
    return body


def configure(w, **fields):
    response = client_for(w.manager).patch(
        f"/api/proposal-protected-calls/{w.call.uuid.hex}/matching-configuration/", fields, format="json")
    assert response.status_code == 200, response.content


def blocking_coi(w, entry, proposal):
    ConflictOfInterest.objects.create(reviewer=entry.reviewer, proposal=proposal, call=w.call, coi_type="INST_SAME",
                                      severity="real", rule="recusal_required")


def test_low_texts_name_the_threshold_and_the_threshold_that_covers_the_proposal():
    # The real call in small: every score under the default threshold of 0.1.
    w = build_call(1, 4, [[0.08, 0.0612, 0.05, 0.02]], min_reviewers_per_proposal=3)
    body = generate(w)
    assert body["items_created"] == 0
    assert (body["candidate_pairs"], body["removed_pairs"], body["eligible_pairs"]) == (
        4, {**NO_REMOVALS, "threshold": 4}, 0)
    [skip] = body["skipped_proposals"]
    assert (skip["reason"], skip["required"], skip["assigned"], skip["blocking_rule"]) == (
        "No eligible reviewers available", 3, 0, "threshold")
    assert skip["suggestion"] == (
        "All 4 reviewers in the pool score below min_affinity_threshold (0.1) for this proposal; 0 reviewers are "
        "left for 3 places. A min_affinity_threshold of 0.05 would make 3 of the 4 eligible.")
    configure(w, min_affinity_threshold=0.05)  # the suggested setting covers it
    after = generate(w)
    assert (after["items_created"], after["skipped_proposals"]) == (3, [])
    assert after["removed_pairs"] == {**NO_REMOVALS, "threshold": 1} and after["eligible_pairs"] == 3


def test_the_threshold_suggestion_counts_only_reviewers_the_other_rules_leave():
    # The two best reviewers have conflicts, so lowering the threshold must reach the third and fourth.
    w = build_call(1, 5, [[0.9, 0.8, 0.07, 0.04, 0.01]], min_reviewers_per_proposal=2)
    for entry in w.entries[:2]:
        blocking_coi(w, entry, w.proposals[0])
    [skip] = generate(w)["skipped_proposals"]
    assert skip["blocking_rule"] == "threshold"
    assert skip["suggestion"].endswith("A min_affinity_threshold of 0.04 would make 2 of the 3 eligible.")


def test_conflicts_that_take_a_proposal_below_its_demand_are_named():
    w = build_call(2, 3, [[0.9, 0.8, 0.7], [0.9, 0.8, 0.7]], min_reviewers_per_proposal=2)
    short = w.proposals[1]
    blocking_coi(w, w.entries[0], short)
    blocking_coi(w, w.entries[1], short)
    body = generate(w)
    assert body["removed_pairs"] == {**NO_REMOVALS, "conflicts": 2} and body["eligible_pairs"] == 4
    [skip] = body["skipped_proposals"]
    assert (skip["proposal_uuid"], skip["assigned"], skip["blocking_rule"]) == (short.uuid.hex, 1, "conflicts")
    assert skip["suggestion"].startswith("2 of the 3 reviewers in the pool have a blocking conflict of interest with "
                                         "this proposal; 1 reviewer is left for 2 places. Review its conflicts")


def test_reviewers_without_places_left_are_removed_by_capacity():
    w = build_call(2, 3, [[0.9, 0.8, 0.7], [0.9, 0.8, 0.7]], min_reviewers_per_proposal=2,
                   max_proposals_per_reviewer=1)
    first, second = w.proposals
    f.item(f.batch(w.entries[0], status="sent"), first)  # entry 0 is at its limit of 1
    second.team.add(w.entries[2].reviewer.user)
    body = generate(w, {"proposal_uuids": [second.uuid.hex]})
    assert body["removed_pairs"] == {**NO_REMOVALS, "team_membership": 1, "capacity": 1}
    assert (body["candidate_pairs"], body["eligible_pairs"]) == (3, 1)
    [skip] = body["skipped_proposals"]
    assert (skip["assigned"], skip["blocking_rule"]) == (1, "capacity")
    assert skip["suggestion"] == (
        "1 of the 2 reviewers not already excluded has no capacity left (max_proposals_per_reviewer is 1, or their own "
        "max_assignments, is reached); 1 reviewer is left for 2 places. Raise max_proposals_per_reviewer or their "
        "max_assignments or invite more reviewers to the pool. From the minimum cut: it needs 1 more review than "
        "the 1 reviewer eligible for it has places left; raise the maximum load (max_assignments) of this reviewer "
        "by 1 and max_proposals_per_reviewer to 2, or invite 1 more reviewer eligible for it.")


def test_enough_eligible_reviewers_taken_by_other_proposals_is_capacity_too():
    # Three proposals want 2 each from 3 reviewers with 1 place each: 6 reviews, 3 places.
    w = build_call(3, 3, [[0.9, 0.8, 0.7]] * 3, min_reviewers_per_proposal=2, max_proposals_per_reviewer=1)
    body = generate(w)
    assert body["removed_pairs"] == NO_REMOVALS and body["items_created"] == 3
    assert {s["blocking_rule"] for s in body["skipped_proposals"]} == {"capacity"}
    assert body["skipped_proposals"][0]["suggestion"].startswith(
        "3 reviewers could review this proposal, but too few of them had a place left once other proposals had "
        "theirs: the call needs 6 more reviews and its reviewers have 3 places left. Raise "
        "max_proposals_per_reviewer (now 1)")


def test_a_pool_smaller_than_the_demand_and_an_empty_pool():
    w = build_call(1, 2, [[0.9, 0.9]], min_reviewers_per_proposal=3)
    [skip] = generate(w)["skipped_proposals"]
    assert (skip["blocking_rule"], skip["assigned"]) == ("pool_size", 2)
    empty = build_call(1, 0, [[]])
    [skip] = generate(empty)["skipped_proposals"]
    assert (skip["reason"], skip["blocking_rule"]) == ("No accepted reviewers in pool", "pool_size")
    assert skip["suggestion"].startswith("The pool has 0 reviewers who accepted and this proposal needs 2 more")


def test_every_rule_is_counted_once_in_order():
    # One reviewer hit by several rules counts under the first: team before conflict before threshold.
    w = build_call(1, 3, [[0.01, 0.02, 0.9]], min_reviewers_per_proposal=1)
    p = w.proposals[0]
    p.team.add(w.entries[0].reviewer.user)
    blocking_coi(w, w.entries[0], p)
    blocking_coi(w, w.entries[1], p)
    entry = w.entries[2]
    entry.reviewer.available_for_reviews = False
    entry.reviewer.save()
    body = generate(w)
    assert body["removed_pairs"] == {**NO_REMOVALS, "team_membership": 1, "conflicts": 1,
                                     "unavailable_reviewers": 1}
    [skip] = body["skipped_proposals"]
    assert skip["blocking_rule"] == "unavailable_reviewers"
    assert "(available_for_reviews)" in skip["suggestion"]


def test_the_audit_event_says_it_too():
    w = build_call(2, 2, [[0.9, 0.05], [0.04, 0.03]], min_reviewers_per_proposal=1)
    body = generate(w)
    event = AuditEvent.objects.get(event_type="ASSIGNMENTS_GENERATED", call=w.call)
    assert event.context["removed_pairs"] == body["removed_pairs"] == {**NO_REMOVALS, "threshold": 3}
    assert (event.context["candidate_pairs"], event.context["eligible_pairs"]) == (4, 1)
    [skip] = body["skipped_proposals"]
    assert event.context["shortfalls"] == [
        {key: skip[key] for key in ("proposal_uuid", "required", "assigned", "blocking_rule", "suggestion")}]
    assert AssignmentItem.objects.filter(proposal=w.proposals[0]).count() == 1
