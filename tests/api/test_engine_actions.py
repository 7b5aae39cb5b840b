"""Engine call actions (§3.5): `compute-affinities/`, `affinity-matrix/`, `proposed-assignments/`
(+ `/api/proposed-assignments/{uuid}/`), `send-all-assignments/`; roles, validation, client models."""

import uuid

import numpy as np
import pytest
from waldur_api_client.api.proposal_protected_calls import (
    proposal_protected_calls_affinity_matrix_retrieve,
    proposal_protected_calls_compute_affinities,
    proposal_protected_calls_generate_assignments,
    proposal_protected_calls_proposed_assignments_list,
    proposal_protected_calls_send_all_assignments,
)
from waldur_api_client.models import (
    AffinityMatrixResponse,
    AffinityMatrixResponseScopeEnum,
    ComputeAffinitiesResponse,
    GenerateAssignmentsRequest,
    MatchingAlgorithm,
    ProposedAssignment,
    SendAllAssignmentBatchesRequest,
    SendAllAssignmentBatchesResponse,
)

from referee.assignments.generation import generate_assignments
from referee.assignments.models import AffinityScore, AssignmentBatch
from referee.calls.models import MatchingConfiguration
from referee.reviewers.models import ReviewerExpertise
from tests import factories as f
from tests.engine.test_generation import set_scores
from tests.helpers import ROLES, as_role, assert_constant_queries, client_for, role_matrix

BASE = "/api/proposal-protected-calls/{}/{}/"
# action → (method, body)
ACTIONS = {
    "compute-affinities": ("post", None),
    "affinity-matrix": ("get", None),
    "proposed-assignments": ("get", None),
    "send-all-assignments": ("post", {}),
}


def url(call, action):
    return BASE.format(call.uuid.hex, action)


@pytest.fixture
def scored(world):
    """Two more accepted reviewers and chosen affinities for the world's 2 × 3 pairs."""
    world.entries = [world.entry, *(f.pool_entry(world.call, f.profile(f.user())) for _ in range(2))]
    MatchingConfiguration.objects.filter(call=world.call).update(min_reviewers_per_proposal=2,
                                                                 min_proposals_per_reviewer=0)
    world.proposals = [world.proposal, world.proposal2]
    set_scores(world.call, world.proposals, world.entries, [[0.9, 0.5, 0.3], [0.4, 0.8, 0.6]])
    return world


@pytest.mark.django_db
class TestRoles:
    @pytest.mark.parametrize("action", ACTIONS)
    @pytest.mark.parametrize("role", ROLES)
    def test_who_may_call(self, world, action, role):
        method, body = ACTIONS[action]
        client = as_role(world, role)
        response = getattr(client, method)(url(world.call, action), body, format="json") if method == "post" \
            else client.get(url(world.call, action))
        expected = {"anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 403, "manager": 200,
                    "staff": 200, "support": 200 if method == "get" else 403}[role]
        assert response.status_code == expected, response.content

    @pytest.mark.parametrize("action", ACTIONS)
    def test_unknown_call_and_wrong_method(self, world, action):
        method, _ = ACTIONS[action]
        client = client_for(world.manager)
        assert client.get(BASE.format(uuid.uuid4().hex, action)).status_code in (404, 405)
        wrong = client.get if method == "post" else client.post
        assert wrong(url(world.call, action)).status_code == 405


@pytest.mark.django_db
class TestComputeAffinities:
    def test_counts_every_pair(self, world):
        ReviewerExpertise.objects.create(profile=world.profile, expertise_keyword="proposal", proficiency_level="expert")
        response = client_for(world.manager).post(url(world.call, "compute-affinities"))
        parsed = ComputeAffinitiesResponse.from_dict(response.json())
        assert (parsed.computed_count, parsed.message) == (2, "Computed 2 affinity scores.")
        assert AffinityScore.objects.filter(call=world.call).count() == 2


@pytest.mark.django_db
class TestAffinityMatrix:
    def get(self, w, user=None, **params):
        return client_for(user or w.manager).get(url(w.call, "affinity-matrix"), params)

    def test_rows_best_first_on_pages_like_every_list(self, scored):
        # Issue 10: page/page_size with Link and X-Result-Count replace `limit` (5000, at most 20000).
        response = self.get(scored)
        parsed = AffinityMatrixResponse.from_dict(response.json())
        assert parsed.count == 6 and [r.affinity_score for r in parsed.results] == [0.9, 0.8, 0.6, 0.5, 0.4, 0.3]
        assert response["X-Result-Count"] == "6" and 'rel="next"' not in response["Link"]
        top = parsed.results[0]
        assert (top.reviewer_uuid, top.proposal_uuid, top.source) == (scored.profile.uuid, scored.proposal.uuid, "pool")
        assert (top.reviewer_name, top.proposal_name) == (scored.reviewer.full_name, scored.proposal.name)
        assert (top.has_conflict, top.coi_type, top.coi_severity, top.coi_status) == (False, None, None, None)
        assert top["reviewer_pool_entry_uuid"] == scored.entry.uuid.hex
        second = self.get(scored, page_size=2, page=2)
        assert second.json()["count"] == 6 and [r["affinity_score"] for r in second.json()["results"]] == [0.6, 0.5]
        assert second["X-Result-Count"] == "6"
        links = dict(reversed(part.split("; ")) for part in second["Link"].split(", "))
        assert links['rel="next"'].endswith("page_size=2&page=3>") and links['rel="last"'].endswith("page=3>")
        assert links['rel="prev"'].endswith("page_size=2&page=1>")
        assert self.get(scored, page_size=2, page=4).status_code == 404
        head = client_for(scored.manager).head(url(scored.call, "affinity-matrix"), {"page_size": 2})
        assert head.status_code == 200 and head["X-Result-Count"] == "6" and not head.content

    def test_the_whole_matrix_is_read_page_by_page(self, scored):
        more = [f.pool_entry(scored.call, f.profile(f.user())) for _ in range(4)]
        proposals = [*scored.proposals, *(f.proposal(scored.round) for _ in range(5))]
        scores = np.round(np.random.default_rng(3).random((7, 7)), 4)
        set_scores(scored.call, proposals, [*scored.entries, *more], scores)
        seen, page = [], 1
        while True:
            response = self.get(scored, page_size=4, page=page)
            seen += [(r["proposal_uuid"], r["reviewer_uuid"], r["affinity_score"]) for r in response.json()["results"]]
            if 'rel="next"' not in response["Link"]:
                break
            page += 1
        assert page == 13 and len(seen) == len(set(seen)) == 49
        assert [score for _, _, score in seen] == sorted(scores.ravel().tolist(), reverse=True)

    def test_filters_by_proposal_and_reviewer(self, scored):
        second, middle = scored.proposal2, scored.entries[1]

        def pairs(**params):
            body = self.get(scored, **params).json()
            assert body["count"] == len(body["results"])
            return [(r["proposal_uuid"], r["reviewer_pool_entry_uuid"], r["affinity_score"]) for r in body["results"]]

        e = [entry.uuid.hex for entry in scored.entries]
        p = second.uuid.hex
        assert pairs(proposal_uuid=second.uuid) == [(p, e[1], 0.8), (p, e[2], 0.6), (p, e[0], 0.4)]
        assert pairs(reviewer_uuid=middle.reviewer.uuid) == [(p, e[1], 0.8), (scored.proposal.uuid.hex, e[1], 0.5)]
        assert pairs(reviewer_uuid=middle.reviewer.uuid.hex, proposal_uuid=str(second.uuid)) == [(p, e[1], 0.8)]
        outsider = f.profile(f.user())
        assert pairs(reviewer_uuid=outsider.uuid) == pairs(proposal_uuid=uuid.uuid4()) == []
        assert pairs(reviewer_uuid=middle.uuid) == []  # a pool entry's uuid is not a reviewer's

    def test_a_row_whose_reviewer_or_proposal_went_since_the_page_was_read_is_left_out(self, scored):
        from referee.assignments.queries import matrix_rows, render_matrix

        page = list(matrix_rows(scored.call, scope="pool"))
        scored.entries[2].delete()
        scored.proposal2.delete()
        rendered = render_matrix(scored.call, page)
        assert [r["affinity_score"] for r in rendered] == [0.9, 0.5]  # proposal 1 with entries 0 and 1

    @pytest.mark.parametrize("parameter", ["proposal_uuid", "reviewer_uuid"])
    def test_bad_uuid_filter_is_400_naming_it(self, scored, parameter):
        response = self.get(scored, **{parameter: "not-a-uuid"})
        assert response.status_code == 400 and list(response.json()) == [parameter]

    def test_most_relevant_conflict_and_blocking(self, scored):
        e, p = scored.entries, scored.proposals
        f.conflict(e[0].reviewer, p[0], status="dismissed", coi_type="INST_SAME")
        f.conflict(e[0].reviewer, p[0], rule="disclosure_only")
        f.conflict(e[1].reviewer, p[1], rule="management_allowed")
        f.conflict(e[1].reviewer, p[1], coi_type="INST_SAME")
        f.conflict(e[2].reviewer, p[1], rule="management_allowed", status="waived", coi_type="INST_SAME")
        rows = {(r["reviewer_uuid"], r["proposal_uuid"]): r for r in self.get(scored).json()["results"]}

        def cols(entry, proposal):
            r = rows[(entry.reviewer.uuid.hex, proposal.uuid.hex)]
            return r["has_conflict"], r["coi_type"], r["coi_severity"], r["coi_status"]

        assert cols(e[0], p[0]) == (False, "COAUTH_OLD", "potential", "pending")  # pending beats dismissed
        assert cols(e[1], p[1]) == (True, "INST_SAME", "real", "pending")  # then severity
        assert cols(e[2], p[1]) == (False, "INST_SAME", "apparent", "waived")
        assert cols(e[2], p[0]) == (False, None, None, None)

    def test_only_the_accepted_pool(self, scored):
        scored.entries[2].invitation_status = "declined"
        scored.entries[2].save()
        assert self.get(scored).json()["count"] == 4

    def test_constant_queries(self, scored):
        def add_rows():
            more = [f.pool_entry(scored.call, f.profile(f.user())) for _ in range(3)]
            proposals = [*scored.proposals, f.proposal(scored.round)]
            set_scores(scored.call, proposals, [*scored.entries, *more], [[0.5] * 6] * 3)
            f.conflict(more[0].reviewer, proposals[2], rule="management_allowed", coi_type="INST_SAME")

        f.conflict(scored.entries[0].reviewer, scored.proposal, rule="management_allowed", coi_type="INST_SAME")
        assert_constant_queries(client_for(scored.manager), url(scored.call, "affinity-matrix"), add_rows)

    def test_constant_queries_on_a_filtered_later_page(self, scored):
        def add_rows():
            more = [f.pool_entry(scored.call, f.profile(f.user())) for _ in range(6)]
            set_scores(scored.call, scored.proposals, [*scored.entries, *more], [[0.5] * 9] * 2)
            for entry in more:
                f.conflict(entry.reviewer, scored.proposal2, rule="management_allowed", coi_type="INST_SAME")

        f.conflict(scored.entries[0].reviewer, scored.proposal2, rule="management_allowed", coi_type="INST_SAME")
        params = {"proposal_uuid": scored.proposal2.uuid.hex, "page": 2, "page_size": 2}
        assert_constant_queries(client_for(scored.manager), url(scored.call, "affinity-matrix"), add_rows, params)


@pytest.mark.django_db
class TestProposedAssignments:
    def list(self, w, user=None, **params):
        return client_for(user or w.manager).get(url(w.call, "proposed-assignments"), params)

    def test_list_by_proposal_name_then_rank(self, scored):
        scored.proposal.name, scored.proposal2.name = "B proposal", "A proposal"
        for p in scored.proposals:
            p.save()
        set_scores(scored.call, scored.proposals, scored.entries, [[0.9, 0.5, 0.3], [0.4, 0.8, 0.6]])
        generate_assignments(scored.call, user=scored.manager, dry_run=True)
        response = self.list(scored)
        rows = [ProposedAssignment.from_dict(row) for row in response.json()]
        assert response["X-Result-Count"] == "4"
        assert [(r.proposal_name, r.rank, r.affinity_score) for r in rows] == [
            ("A proposal", 1, 0.8), ("A proposal", 2, 0.6), ("B proposal", 1, 0.9), ("B proposal", 2, 0.5)]
        first = rows[0]
        assert (first.algorithm_used, first.is_deployed, first.deployed_at, first.deployed_by) == (
            MatchingAlgorithm.MINMAX, False, None, None)
        assert first.deployed_by_name == "" and first.reviewer_uuid == scored.entries[1].reviewer.uuid
        assert first.url.endswith(f"/api/proposed-assignments/{first.uuid.hex}/")
        assert first.reviewer.endswith(f"/api/reviewer-profiles/{first.reviewer_uuid.hex}/")

    def test_is_deployed_filter_and_pagination(self, scored):
        generate_assignments(scored.call, user=scored.manager)
        assert len(self.list(scored, is_deployed="true").json()) == 4
        assert self.list(scored, is_deployed="false").json() == []
        response = self.list(scored, page_size=3, page=2)
        assert len(response.json()) == 1 and 'rel="first"' in response["Link"]
        deployed = ProposedAssignment.from_dict(self.list(scored).json()[0])
        assert deployed.is_deployed and deployed.deployed_by_name == scored.manager.full_name
        head = client_for(scored.manager).head(url(scored.call, "proposed-assignments"))
        assert (head.status_code, head["X-Result-Count"], head.content) == (200, "4", b"")
        assert self.list(scored, is_deployed="maybe").status_code == 400
        assert list(self.list(scored, is_deployed="maybe").json()) == ["is_deployed"]

    def test_constant_queries(self, scored):
        generate_assignments(scored.call, user=scored.manager, dry_run=True)

        def add_rows():
            more = f.proposal(scored.round)
            set_scores(scored.call, [*scored.proposals, more], scored.entries, [[0.5] * 3] * 3)
            generate_assignments(scored.call, user=scored.staff, reviewers_per_proposal=3)

        assert_constant_queries(client_for(scored.manager), url(scored.call, "proposed-assignments"), add_rows)

    @role_matrix({"anonymous": 401, "stranger": 404, "other_manager": 404, "reviewer": 404, "manager": 200,
                  "support": 200, "staff": 200})
    def test_detail_route(self, scored, role, expected):
        generate_assignments(scored.call, user=scored.manager, dry_run=True)
        row = scored.call.proposed_assignments.first()
        response = as_role(scored, role).get(f"/api/proposed-assignments/{row.uuid.hex}/")
        assert response.status_code == expected, response.content
        if expected == 200:
            assert ProposedAssignment.from_dict(response.json()).uuid == row.uuid
            listed = as_role(scored, role).get("/api/proposed-assignments/")
            assert listed["X-Result-Count"] == "4"

    def test_detail_route_is_read_only(self, scored):
        generate_assignments(scored.call, user=scored.manager, dry_run=True)
        row = scored.call.proposed_assignments.first()
        client = client_for(scored.staff)
        assert client.delete(f"/api/proposed-assignments/{row.uuid.hex}/").status_code == 405
        assert client.post("/api/proposed-assignments/", {}, format="json").status_code == 405
        assert client.get(f"/api/proposed-assignments/{uuid.uuid4().hex}/").status_code == 404


@pytest.mark.django_db
class TestSendAll:
    def post(self, w, data=None):
        return client_for(w.manager).post(url(w.call, "send-all-assignments"), data or {}, format="json")

    def test_sends_every_draft_and_skips_refusals(self, scored):
        generate_assignments(scored.call, user=scored.manager)
        empty = f.batch(f.pool_entry(scored.call, f.profile(f.user())))  # a draft without pending items
        response = self.post(scored)
        parsed = SendAllAssignmentBatchesResponse.from_dict(response.json())
        assert (parsed.batches_sent, parsed.skipped) == (3, 1)
        assert set(AssignmentBatch.objects.exclude(pk=empty.pk).values_list("status", flat=True)) == {"sent"}
        empty.refresh_from_db()
        assert empty.status == "draft"

    def test_named_batches(self, scored):
        generate_assignments(scored.call, user=scored.manager)
        first, *others = AssignmentBatch.objects.filter(call=scored.call).order_by("id")
        foreign = f.batch(f.pool_entry(scored.other_call, f.profile(f.user())))
        keys = [first.uuid.hex, foreign.uuid.hex, uuid.uuid4().hex]
        assert self.post(scored, {"batch_uuids": keys}).json() == {"batches_sent": 1, "skipped": 2}
        assert self.post(scored, {"batch_uuids": [first.uuid.hex]}).json() == {"batches_sent": 0, "skipped": 1}
        assert {b.status for b in AssignmentBatch.objects.filter(pk__in=[o.pk for o in others])} == {"draft"}
        foreign.refresh_from_db()
        assert foreign.status == "draft"

    @pytest.mark.parametrize("value", ["x", ["nope"], [uuid.uuid4().hex for _ in range(1001)]])
    def test_bad_batch_uuids(self, scored, value):
        response = self.post(scored, {"batch_uuids": value})
        assert response.status_code == 400 and list(response.json()) == ["batch_uuids"]


@pytest.mark.django_db(transaction=True)
def test_the_published_client_drives_the_engine(world, waldur):
    world.entries = [world.entry, *(f.pool_entry(world.call, f.profile(f.user())) for _ in range(2))]
    MatchingConfiguration.objects.filter(call=world.call).update(min_affinity_threshold=0.0,
                                                                 min_reviewers_per_proposal=2)
    manager = waldur(world.manager)
    computed = proposal_protected_calls_compute_affinities.sync(world.call.uuid, client=manager)
    assert computed.computed_count == 6
    matrix = proposal_protected_calls_affinity_matrix_retrieve.sync(
        world.call.uuid, client=manager, scope=AffinityMatrixResponseScopeEnum.POOL)
    assert matrix.count == 6 and len(matrix.results) == 6
    generated = proposal_protected_calls_generate_assignments.sync(
        world.call.uuid, client=manager, body=GenerateAssignmentsRequest(reviewers_per_proposal=2))
    assert generated.items_created == 4 and generated.proposals_processed == 2
    proposed = proposal_protected_calls_proposed_assignments_list.sync(world.call.uuid, client=manager)
    assert len(proposed) == 4 and all(p.is_deployed for p in proposed)
    sent = proposal_protected_calls_send_all_assignments.sync(
        world.call.uuid, client=manager, body=SendAllAssignmentBatchesRequest())
    assert sent.batches_sent == generated.batches_created and sent.skipped == 0
