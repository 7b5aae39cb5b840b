"""A CSV import racing a manual assignment on PostgreSQL (issue 13): the import takes manual
assignment's lock and re-checks every line under it, so whichever comes second is refused whole
by the reviewer's maximum load: the items are the import's or the manual one's, never a mix."""

import pytest

from referee.assignments.models import AssignmentItem
from tests import factories as f
from tests.helpers import ROUNDS, client_for, race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def post(user, path, data):
    client = client_for(user)
    return lambda: client.post(path, data, format="json")


def test_an_import_racing_a_manual_assignment_is_applied_whole_or_not_at_all(world):
    base = f"/api/proposal-protected-calls/{world.call.uuid.hex}/"
    for _ in range(ROUNDS):
        entry = f.pool_entry(world.call, f.profile(f.user()), max_assignments=2)
        email = entry.reviewer.user.email
        imported = [f.proposal(world.round), f.proposal(world.round)]
        manual = f.proposal(world.round)
        csv_text = "proposal_uuid,reviewer_email\n" + "".join(f"{p.uuid},{email}\n" for p in imported)
        imports, manuals = race(
            post(world.manager, base + "import-assignments/", {"csv": csv_text}),
            post(world.staff, base + "create-manual-assignment/",
                 {"reviewer_pool_entry_uuid": entry.uuid.hex, "proposal_uuids": [manual.uuid.hex]}),
        )
        assert sorted([imports.status_code, manuals.status_code]) == [200, 400], (imports.content, manuals.content)
        held = set(AssignmentItem.objects.filter(pool_entry=entry).values_list("proposal_id", flat=True))
        if imports.status_code == 200:
            assert held == {p.id for p in imported}
            assert "override_workload_limit" in manuals.json()
        else:
            assert held == {manual.id}
            assert imports.json()["detail"] == "2 of 2 rows are refused: nothing was assigned."
