"""`referee import --dry-run` (issue 10): it reports exactly what the import then does, and
writes nothing on the way (before, it wrote everything and rolled it back, costing as much as
the import)."""

import copy
import json
from pathlib import Path

import pytest
from django.db import connection

from referee.calls.models import Proposal
from referee.core.models import AuditEvent
from referee.imports import import_data
from tests import factories as f

EXAMPLE = Path(__file__).resolve().parent.parent / "referee" / "imports" / "example.json"
WRITES = ("INSERT", "UPDATE", "DELETE")

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    return json.loads(EXAMPLE.read_text())


def dry_run(data) -> tuple[dict, list[str]]:
    """The dry run's summary and the writing statements it sent."""
    writes = []

    def watch(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith(WRITES):
            writes.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        stats = import_data(copy.deepcopy(data), dry_run=True)
    return stats, writes


def check_dry_run_then_import(data) -> dict:
    predicted, writes = dry_run(data)
    assert writes == []
    done = import_data(copy.deepcopy(data))
    assert predicted == done
    return done


def test_a_new_call_is_predicted_without_a_write(data):
    stats = check_dry_run_then_import(data)
    assert stats["proposals"] == {"created": 1} and stats["publications"] == {"created": 2}


def test_a_reimport_is_predicted_unchanged(data):
    import_data(copy.deepcopy(data))
    stats = check_dry_run_then_import(data)
    assert all(set(c) == {"unchanged"} for c in stats.values()), stats


def test_edits_new_rows_under_old_ones_and_old_rows_under_new_ones_are_predicted(data):
    import_data(copy.deepcopy(data))
    data["users"][1]["last_name"] = "Doe-Smith"  # an update
    data["users"].append({"username": "newbie", "email": "newbie@example.org"})
    data["call"]["managers"].append("newbie")  # a new user in an existing set
    data["rounds"].append({"slug": "autumn-2027", "name": "Autumn 2027", "start_time": "2027-09-01T00:00:00Z",
                           "cutoff_time": "2027-10-01T00:00:00Z"})
    data["proposals"][0]["round"] = "autumn-2027"  # an existing proposal moves to a new round
    data["proposals"].append({"slug": "new-one", "round": "autumn-2027", "name": "New one", "creator": "newbie",
                              "team": ["asmith"]})
    paper = data["reviewers"][0]["publications"][1]
    paper["doi"] = "10.1000/added"  # found by title and year, given a DOI
    data["reviewers"][0]["expertise"].append({"expertise_keyword": "sea ice"})
    data["reviewers"].append({"user": "newbie", "publications": [{"title": "First paper", "publication_year": 2024}],
                              "affiliations": [{"organisation": "ETH Zurich"}]})
    data["pool"].append({"reviewer": "newbie", "invitation_status": "accepted"})
    stats = check_dry_run_then_import(data)
    assert stats["users"] == {"created": 1, "updated": 1, "unchanged": 4}
    assert stats["proposals"] == {"created": 1, "updated": 1}
    assert stats["publications"] == {"created": 1, "updated": 1, "unchanged": 1}
    assert stats["calls"] == {"updated": 1} and stats["pool entries"] == {"created": 1, "unchanged": 1}
    assert Proposal.objects.get(slug="ocean-eddies").round.slug == "autumn-2027"


def test_rows_of_the_database_outside_the_file_are_found(data):
    f.user("outsider", email="outsider@example.org")
    data["proposals"][0]["team"].append("outsider@example.org")
    check_dry_run_then_import(data)
    assert AuditEvent.objects.filter(event_type="CALL_IMPORTED").count() == 1  # the import's, not the dry run's
