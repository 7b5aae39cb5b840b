"""`POST /api/proposal-protected-calls/{uuid}/import-assignments/` (issue 13): the CSV import of the
console's page through the API, same function, same words."""

import pytest

from referee.assignments.models import AssignmentItem
from referee.core.enums import AuditEventType
from tests import factories as f
from tests.helpers import as_role, events, role_matrix

pytestmark = pytest.mark.django_db


def url(call):
    return f"/api/proposal-protected-calls/{call.uuid}/import-assignments/"


def body(world, *emails, **extra):
    lines = "".join(f"{world.proposal.uuid},{email}\n" for email in emails)
    return {"csv": "proposal_uuid,reviewer_email\n" + lines, **extra}


@role_matrix({"anonymous": 401, "stranger": 404, "reviewer": 403, "other_manager": 404, "manager": 200,
              "support": 403, "staff": 200})
def test_importing_is_for_the_calls_managers_and_staff(world, role, expected):
    response = as_role(world, role).post(url(world.call), body(world, "reviewer@example.org"), format="json")
    assert response.status_code == expected
    assert AssignmentItem.objects.exists() == (expected == 200)


def test_a_dry_run_answers_each_lines_outcome_and_writes_nothing(world, api):
    response = api(world.manager).post(url(world.call), body(world, "reviewer@example.org", "x@example.org",
                                                              dry_run=True), format="json")
    assert response.status_code == 200
    assert response.json() == {
        "applied": False, "items_created": 0, "counts": {"assign": 1, "unchanged": 0, "error": 1},
        "rows": [{"line": 2, "proposal_uuid": str(world.proposal.uuid), "reviewer_email": "reviewer@example.org",
                  "outcome": "assign", "message": ""},
                 {"line": 3, "proposal_uuid": str(world.proposal.uuid), "reviewer_email": "x@example.org",
                  "outcome": "error", "message": "No reviewer of this call's pool has this e-mail address"}]}
    assert not AssignmentItem.objects.exists()


def test_an_apply_with_a_refused_line_is_a_400_naming_it_and_writes_nothing(world, api):
    response = api(world.manager).post(url(world.call), body(world, "reviewer@example.org", "x@example.org"),
                                       format="json")
    assert response.status_code == 400
    answer = response.json()
    assert answer["detail"] == "1 of 2 rows are refused: nothing was assigned."
    assert [row["outcome"] for row in answer["rows"]] == ["assign", "error"]
    assert not AssignmentItem.objects.exists() and not events(AuditEventType.ASSIGNMENTS_IMPORTED)


def test_an_apply_creates_the_items_with_an_audit_event(world, api):
    other = f.pool_entry(world.call, f.profile(f.user("ida")))
    response = api(world.manager).post(url(world.call), body(world, "reviewer@example.org", "ida@example.org"),
                                       format="json")
    assert response.status_code == 200 and response.json()["applied"] and response.json()["items_created"] == 2
    assert set(AssignmentItem.objects.values_list("pool_entry_id", flat=True)) == {world.entry.id, other.id}
    assert len(events(AuditEventType.ASSIGNMENTS_IMPORTED)) == 1


@pytest.mark.parametrize(("payload", "field", "words"), [
    ({"csv": "a,b\n1,2"}, "csv", "The first line must name the columns proposal_uuid, reviewer_email; missing: "
                                 "proposal_uuid, reviewer_email."),
    ({}, "csv", "This field is required."),
    ({"csv": "proposal_uuid,reviewer_email\n", "dry_run": "maybe"}, "dry_run", "Must be a valid boolean."),
])
def test_a_bad_body_is_a_400_on_its_field(world, api, payload, field, words):
    response = api(world.manager).post(url(world.call), payload, format="json")
    assert response.status_code == 400
    assert response.json()[field] == [words]
