"""Conflict detection jobs on the database (§5.7): findings stored once, progress, incremental."""

from datetime import date

import pytest

from referee.conflicts.detection import run_detection
from referee.conflicts.detection_requests import ALREADY_RUNNING, start_detection
from referee.conflicts.models import COIDetectionJob, ConflictOfInterest
from referee.core.errors import DomainError
from referee.reviewers.models import ReviewerAffiliation
from tests import factories as f


@pytest.fixture
def conflicted(world):
    org = f.customer("University of Tartu")
    world.proposal.organization = org
    world.proposal.save()
    ReviewerAffiliation.objects.create(profile=world.profile, organization=org, organization_name=org.name,
                                       start_date=date(2015, 1, 1))
    world.proposal2.team.add(world.reviewer)
    return world


def test_job_finds_named_and_institutional_conflicts_and_reports_progress(conflicted, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = start_detection(conflicted.call, user=conflicted.manager)
    job.refresh_from_db()
    assert job.state == "completed" and job.total_pairs == 2 and job.processed_pairs == 2
    found = set(ConflictOfInterest.objects.values_list("proposal_id", "coi_type", "severity", "status", "rule"))
    assert found == {
        (conflicted.proposal.id, "INST_SAME", "real", "pending", "recusal_required"),
        (conflicted.proposal2.id, "ROLE_NAMED", "real", "pending", "recusal_required"),
    }
    assert job.conflicts_found == 2 and job.progress_percentage == 100.0
    assert job.config_snapshot["coauthorship_lookback_years"] == 3


def test_rerun_never_recreates_a_conflict_whatever_its_status(conflicted):
    run_detection(COIDetectionJob.objects.create(call=conflicted.call).id)
    ConflictOfInterest.objects.update(status="dismissed")
    job = run_detection(COIDetectionJob.objects.create(call=conflicted.call).id)
    assert ConflictOfInterest.objects.count() == 2 and job.conflicts_found == 0


def test_only_one_pending_or_running_job_per_call(conflicted):
    COIDetectionJob.objects.create(call=conflicted.call)
    with pytest.raises(DomainError, match=ALREADY_RUNNING):
        start_detection(conflicted.call, user=conflicted.manager)


def test_incremental_job_only_looks_at_changed_pairs(conflicted):
    run_detection(COIDetectionJob.objects.create(call=conflicted.call).id)
    job = run_detection(COIDetectionJob.objects.create(call=conflicted.call, job_type="incremental").id)
    assert job.total_pairs == 0 and job.state == "completed"
    extra = f.proposal(conflicted.round, created_by=conflicted.reviewer)
    job = run_detection(COIDetectionJob.objects.create(call=conflicted.call, job_type="incremental").id)
    assert job.total_pairs == 1
    assert ConflictOfInterest.objects.filter(proposal=extra, coi_type="ROLE_NAMED").exists()
