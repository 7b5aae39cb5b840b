"""Randomized assignment in the API (issue 14): the matching configuration's
`max_assignment_probability` (roles, bounds, 400 naming the field, additive for the Waldur
client), `generate-assignments/`' `seed` (a recorded seed draws the same assignment again) and its
answer's cap, seed, expected total and rule shortfalls, and the proposed-assignment rows'
`probability` (in [0, q], constant queries)."""

import pytest
from waldur_api_client.models import GenerateAssignmentsResponse, MatchingConfiguration, ProposedAssignment

from referee.assignments.engine_serializers import SEED_WITHOUT_CAP
from referee.assignments.generation import generate_assignments
from referee.core.models import AuditEvent
from tests import factories as f
from tests.api.test_deploy_preview import action, item_pairs
from tests.engine.test_generation import build_call, configure, set_scores
from tests.helpers import as_role, assert_constant_queries, client_for, role_matrix

pytestmark = pytest.mark.django_db
READ = {"anonymous": 401, "stranger": 404, "reviewer": 403, "other_manager": 404, "manager": 200, "support": 200,
        "staff": 200}  # as tests/api/test_call_configurations.py: the reviewer sees the call, not its settings
WRITE = {**READ, "support": 403}


def config_url(call) -> str:
    return f"/api/proposal-protected-calls/{call.uuid.hex}/matching-configuration/"


class TestConfiguration:
    @role_matrix(READ)
    def test_read_by_role_off_by_default(self, world, role, expected):
        response = as_role(world, role).get(config_url(world.call))
        assert response.status_code == expected
        if expected == 200:
            assert response.json()["max_assignment_probability"] is None
            MatchingConfiguration.from_dict(response.json())

    @role_matrix(WRITE)
    def test_set_by_role(self, world, role, expected):
        response = as_role(world, role).patch(config_url(world.call), {"max_assignment_probability": 0.5},
                                              format="json")
        assert response.status_code == expected
        world.call.matching_config.refresh_from_db()
        assert world.call.matching_config.max_assignment_probability == (0.5 if expected == 200 else None)
        if expected == 200:
            MatchingConfiguration.from_dict(response.json())
            assert AuditEvent.objects.filter(event_type="MATCHING_CONFIGURATION_UPDATED", call=world.call).exists()

    @pytest.mark.parametrize("value", [0, 0.005, -0.5, 1.01, 2, "half", [0.5], {"q": 0.5}])
    def test_out_of_bounds_or_not_a_number_is_400_naming_the_field(self, world, value):
        client = client_for(world.manager)
        response = client.patch(config_url(world.call), {"max_assignment_probability": value, "bid_weight": 0.9},
                                format="json")
        assert response.status_code == 400 and list(response.json()) == ["max_assignment_probability"]
        world.call.matching_config.refresh_from_db()
        assert (world.call.matching_config.max_assignment_probability, world.call.matching_config.bid_weight) == (
            None, 0.3)  # nothing half-written

    def test_bounds_and_back_to_deterministic(self, world):
        client = client_for(world.manager)
        for value in (0.01, 1, 0.25):
            assert client.patch(config_url(world.call), {"max_assignment_probability": value},
                                format="json").json()["max_assignment_probability"] == value
        response = client.patch(config_url(world.call), {"max_assignment_probability": None}, format="json")
        assert response.status_code == 200 and response.json()["max_assignment_probability"] is None


def generate(w, **data):
    return client_for(w.manager).post(action(w, "generate-assignments"), data, format="json")


class TestGeneration:
    def test_a_recorded_seed_draws_the_same_assignment(self):
        w = build_call(5, 7, max_assignment_probability=0.5, max_proposals_per_reviewer=3)
        first = generate(w)
        assert first.status_code == 200, first.content
        body = first.json()
        GenerateAssignmentsResponse.from_dict(body)
        assert body["max_assignment_probability"] == 0.5 and isinstance(body["seed"], int)
        assert body["expected_total_affinity"] > 0 and body["rule_shortfalls"] == []
        drawn = item_pairs(w)
        event = AuditEvent.objects.filter(event_type="ASSIGNMENTS_GENERATED").latest("id")
        assert event.context["seed"] == body["seed"]
        # The same inputs on a fresh call with the same scores, and the recorded seed: the same draw.
        again = build_call(5, 7, w.scores, max_assignment_probability=0.5, max_proposals_per_reviewer=3)
        answer = generate(again, seed=body["seed"]).json()
        assert answer["total_affinity"] == body["total_affinity"] and answer["seed"] == body["seed"]
        rows = {(w.proposals.index(p), w.entries.index(e)) for p, e in _pairs(w, drawn)}
        rows_again = {(again.proposals.index(p), again.entries.index(e)) for p, e in _pairs(again, item_pairs(again))}
        assert len(rows) == 10 and rows == rows_again

    @pytest.mark.parametrize("seed", [-1, 2**53, "lucky", 1.5])
    def test_a_bad_seed_is_400_naming_it(self, seed):
        w = build_call(2, 3, max_assignment_probability=0.5)
        response = generate(w, seed=seed, dry_run=True)
        assert response.status_code == 400 and list(response.json()) == ["seed"]

    def test_a_seed_without_a_cap_is_400_in_words(self):
        w = build_call(2, 3)
        response = generate(w, seed=7, dry_run=True)
        assert response.status_code == 400 and response.json() == {"seed": [SEED_WITHOUT_CAP]}
        assert generate(w, seed=None, dry_run=True).json()["seed"] is None

    def test_deterministic_answer_has_null_randomized_fields(self):
        w = build_call(2, 3)
        body = generate(w, dry_run=True).json()
        GenerateAssignmentsResponse.from_dict(body)
        assert (body["max_assignment_probability"], body["seed"], body["expected_total_affinity"]) == (None, None, None)


def _pairs(w, pairs):
    """(proposal, pool entry) objects of (proposal id, profile id) pairs, as indexes are compared."""
    proposals = {p.id: p for p in w.proposals}
    entries = {e.reviewer_id: e for e in w.entries}
    return [(proposals[p], entries[r]) for p, r in pairs]


class TestProposedRows:
    def rows(self, w):
        response = client_for(w.manager).get(action(w, "proposed-assignments"), {"page_size": 300})
        assert response.status_code == 200
        return [ProposedAssignment.from_dict(row) for row in response.json()], response.json()

    def test_rows_carry_their_probability_at_most_the_cap(self):
        w = build_call(4, 6, max_assignment_probability=0.4)
        generate_assignments(w.call, user=w.manager, dry_run=True)
        parsed, rows = self.rows(w)
        assert len(parsed) == len(rows) == 8
        assert all(0 <= row["probability"] <= 0.4 for row in rows)
        configure(w, max_assignment_probability=None)
        generate_assignments(w.call, user=w.manager, dry_run=True)
        assert all(row["probability"] is None for row in self.rows(w)[1])

    def test_constant_queries(self):
        w = build_call(2, 3, max_assignment_probability=0.5)
        generate_assignments(w.call, user=w.manager, dry_run=True)

        def add_rows():
            more = f.proposal(w.round)
            set_scores(w.call, [*w.proposals, more], w.entries, [[0.5] * 3] * 3)
            generate_assignments(w.call, user=w.manager, dry_run=True)

        assert_constant_queries(client_for(w.manager), action(w, "proposed-assignments"), add_rows)
