"""Conflict detection jobs (§5.7): start one per call, run it in chunks with visible progress.

The pure detector (referee.matching.conflicts) works on plain records; this module loads them in
a constant number of queries, inserts each chunk's new conflicts in one statement (the unique
constraints make a conflict "never recreated whatever its status"), and commits progress after
every chunk so that a crash loses at most one chunk."""

import logging
from collections import Counter

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Max, Prefetch
from django.utils import timezone

from referee.calls.models import Proposal
from referee.conflicts.domain import block_pair_items, lock_pool_entries
from referee.conflicts.enums import JobState
from referee.conflicts.models import COIDetectionJob, ConflictOfInterest
from referee.conflicts.rules import rule_for
from referee.core.models import User
from referee.matching import conflicts as detector
from referee.reviewers.enums import InvitationStatus
from referee.reviewers.models import CallReviewerPool, ReviewerProfile

logger = logging.getLogger(__name__)


class Abandoned(Exception):
    """The job stopped being `running` under this run: cancelled by a manager
    (`detection_requests.cancel_detection`) or failed as stalled by the sweep."""


def run_detection(job_id: int) -> COIDetectionJob:
    with transaction.atomic():
        job = COIDetectionJob.objects.select_for_update(of=("self",)).select_related("call__coi_config").get(pk=job_id)
        if job.state != COIDetectionJob.State.PENDING:
            return job  # a redelivered task: the first run owns the job
        call, config = job.call, job.call.coi_config
        job.state, job.started_at = COIDetectionJob.State.RUNNING, timezone.now()
        job.config_snapshot = _snapshot(config)
        job.save()
    # The job reads `running` from here on, also while the call's people and papers load. Loading
    # only reads, outside any transaction: on SQLite a transaction holds the one write lock, and
    # every request that writes would wait for a large call to load.
    # Every state change below is conditional on `running`: a manager may have cancelled the job,
    # or the stalled-job sweep (jobs.py) failed it, meanwhile, and that verdict stands.
    try:
        entries, proposals = _entries(call), list(_proposals(call))
        reviewer_scope, proposal_scope = _incremental_scope(job, entries, proposals)
        job.total_pairs = _pair_count(entries, proposals, reviewer_scope, proposal_scope)
        COIDetectionJob.objects.filter(pk=job.pk, state=JobState.RUNNING).update(total_pairs=job.total_pairs,
                                                                         modified=timezone.now())
        result = _detect(job, config, entries, proposals, reviewer_scope, proposal_scope)
    except Abandoned:
        logger.warning("Conflict detection job %s was cancelled or failed as stalled while running; stopped", job.uuid)
    except Exception as exc:  # the job records the failure; findings so far are kept
        logger.exception("Conflict detection job %s failed", job.uuid)
        COIDetectionJob.objects.filter(pk=job.pk, state=JobState.RUNNING).update(
            state=COIDetectionJob.State.FAILED, error_message=str(exc)[:2000], completed_at=timezone.now()
        )
    else:
        now = timezone.now()
        COIDetectionJob.objects.filter(pk=job.pk, state=JobState.RUNNING).update(
            state=COIDetectionJob.State.COMPLETED, completed_at=now, modified=now, result=result)
    job.refresh_from_db()
    return job


def _detect(job, config, entries, proposals, reviewer_scope, proposal_scope) -> dict:
    """Run the passes chunk by chunk; returns the job's `result` (what was checked, and why not more)."""
    settings = detector.DetectionConfig(
        coauthorship_lookback_years=config.coauthorship_lookback_years,
        coauthorship_threshold_papers=config.coauthorship_threshold_papers,
        institutional_lookback_years=config.institutional_lookback_years,
        include_same_institution=config.include_same_institution,
        detect_coauthorship=config.auto_detect_coauthorship,
        detect_institutional=config.auto_detect_institutional,
        detect_named_personnel=config.auto_detect_named_personnel,
    )
    today = timezone.now().date()
    records = [_reviewer_record(e.reviewer) for e in entries]
    proposal_records = [_proposal_record(p) for p in proposals]
    report = detector.DetectionReport(settings)
    report.count_inputs(records, proposal_records)
    new_conflicts = Counter()  # detector -> conflicts recorded by this run
    notes = _scope_notes(entries, proposals, reviewer_scope, proposal_scope)

    def describe(new) -> dict:
        new_conflicts.update(detector.DETECTOR_OF[c.coi_type] for c in new)
        first_year = today.year - settings.coauthorship_lookback_years
        return {"notes": notes, "detectors": report.as_dict(first_coauthorship_year=first_year,
                                                          new_conflicts=new_conflicts)}

    # Incremental runs: changed reviewers against every proposal, then every reviewer against
    # changed proposals (pairs already covered by the first pass are skipped by the constraints).
    passes = [(range(len(entries)), range(len(proposals)))]
    if reviewer_scope is not None:
        passes = [(reviewer_scope, range(len(proposals))), (range(len(entries)), proposal_scope)]
    chunk = django_settings.REFEREE_DETECTION_CHUNK_REVIEWERS
    for reviewer_idx, proposal_idx in passes:
        reviewer_idx, proposal_idx = list(reviewer_idx), list(proposal_idx)
        if not reviewer_idx or not proposal_idx:
            continue
        chunks = detector.detect_conflicts(
            [records[i] for i in reviewer_idx], [proposal_records[i] for i in proposal_idx], settings,
            today=today, chunk_size=chunk, report=report,
        )
        for number, findings in enumerate(chunks):
            done = min(chunk, len(reviewer_idx) - number * chunk) * len(proposal_idx)
            rows = [
                _conflict(job.call, config, entries[reviewer_idx[f.reviewer]].reviewer, proposals[proposal_idx[f.proposal]], f)
                for f in findings
            ]
            _save_chunk(job, rows, done, describe)
    return describe([])


def _scope_notes(entries, proposals, reviewer_scope, proposal_scope) -> list[str]:
    """Why a run had few or no pairs to check, in words."""
    notes = []
    if not entries:
        notes.append("No reviewer has accepted the call's pool invitation, so there was no pair to check.")
    if not proposals:
        notes.append("No proposal of the call is open for review (submitted or in review), so there was no pair "
                     "to check.")
    if reviewer_scope is not None and entries and proposals:
        if not reviewer_scope and not proposal_scope:
            notes.append("Incremental run: no reviewer or proposal changed since the last completed detection "
                         "started, so no pair needed checking again. A full run checks every pair.")
        else:
            notes.append(f"Incremental run: only the {len(reviewer_scope)} reviewers and {len(proposal_scope)} "
                         "proposals changed since the last completed detection started were checked.")
    return notes


def _save_chunk(job, rows, processed: int, describe) -> None:
    with transaction.atomic():
        # Pool entries before the inserts (§7 order): blocking locks entry → batch → item, and a
        # self-declaration locks the entry before inserting a conflict that may collide with ours.
        lock_pool_entries(job.call_id, {row.reviewer_id for row in rows})
        created = ConflictOfInterest.objects.bulk_create(rows, ignore_conflicts=True)
        # bulk_create with ignore_conflicts returns every row; the new ones are those that exist now.
        new = list(ConflictOfInterest.objects.filter(uuid__in=[c.uuid for c in created])
                   .only("id", "reviewer_id", "proposal_id", "status", "rule", "coi_type"))
        # New blocking conflicts block their pairs' pending items (§4.4), in bulk for the chunk.
        block_pair_items(new, actor=None)
        job.processed_pairs += processed
        job.conflicts_found += len(new)
        job.result = describe(new)
        # `modified` is the job's heartbeat: the sweep fails running jobs that stop beating.
        if not COIDetectionJob.objects.filter(pk=job.pk, state=JobState.RUNNING).update(
            processed_pairs=job.processed_pairs, conflicts_found=job.conflicts_found, result=job.result,
            modified=timezone.now(),
        ):
            raise Abandoned  # rolls this chunk back; earlier chunks' findings are kept


def _conflict(call, config, profile, proposal, finding) -> ConflictOfInterest:
    return ConflictOfInterest(
        reviewer=profile, proposal=proposal, call=call,
        conflicting_user_id=finding.conflicting_user_id,
        conflicting_organization_id=finding.conflicting_organization_id,
        coi_type=finding.coi_type, severity=finding.severity,
        detection_method=ConflictOfInterest.Method.AUTOMATED,
        evidence_description=finding.evidence_description, evidence_data=finding.evidence_data,
        rule=rule_for(config, finding.coi_type, finding.severity),
    )


def _entries(call):
    return list(
        CallReviewerPool.objects.filter(call=call, invitation_status=InvitationStatus.ACCEPTED)
        .select_related("reviewer__user")
        .prefetch_related("reviewer__affiliations", "reviewer__publications")
        .order_by("id")
    )


def _proposals(call):
    members = Prefetch("team", queryset=_team_queryset())
    return Proposal.objects.filter(call=call).open_for_review().select_related("organization").prefetch_related(members).order_by("id")


def _team_queryset():
    return User.objects.select_related("reviewer_profile")


def _reviewer_record(profile: ReviewerProfile) -> detector.ReviewerRecord:
    user = profile.user
    return detector.ReviewerRecord(
        user_id=user.id, email=user.email, full_name=user.full_name,
        alternative_names=tuple(profile.alternative_names or ()), orcid=profile.orcid_id,
        affiliations=tuple(
            detector.Affiliation(a.organization_id, a.organization_name, a.start_date, a.end_date)
            for a in profile.affiliations.all()
        ),
        publications=tuple(
            detector.Publication(p.doi or "", p.title, p.publication_year, tuple(_coauthors(p.coauthors)))
            for p in profile.publications.all()
        ),
    )


def _coauthors(raw):
    for author in raw or ():
        if isinstance(author, str):
            yield detector.Coauthor(author, None)
        elif isinstance(author, dict) and author.get("name"):
            yield detector.Coauthor(author["name"], author.get("orcid") or None)


def _proposal_record(proposal) -> detector.ProposalRecord:
    team = []
    for member in proposal.team.all():
        profile = getattr(member, "reviewer_profile", None)
        team.append(detector.Person(
            user_id=member.id, email=member.email, full_name=member.full_name,
            orcid=profile.orcid_id if profile else None,
            alternative_names=tuple(profile.alternative_names or ()) if profile else (),
        ))
    organization = proposal.organization
    return detector.ProposalRecord(
        creator_id=proposal.created_by_id, team=tuple(team),
        organization_id=organization.id if organization else None,
        organization_name=organization.name if organization else "",
        title=proposal.name, doi=proposal.doi,
    )


def _incremental_scope(job, entries, proposals):
    """For incremental jobs: indexes of reviewers and proposals changed since the last completed
    job started (entry, profile or its nested rows; proposal). None = full run."""
    if job.job_type != COIDetectionJob.JobType.INCREMENTAL:
        return None, None
    last = (
        COIDetectionJob.objects.filter(call=job.call, state=COIDetectionJob.State.COMPLETED)
        .aggregate(since=Max("started_at"))["since"]
    )
    if last is None:
        return None, None
    profile_ids = [e.reviewer_id for e in entries]
    changed_profiles = set(ReviewerProfile.objects.filter(id__in=profile_ids, modified__gte=last).values_list("id", flat=True))
    for relation in ("affiliations", "publications", "expertise_set"):
        changed_profiles |= set(
            ReviewerProfile.objects.filter(id__in=profile_ids, **{f"{relation}__modified__gte": last}).values_list("id", flat=True)
        )
    reviewers = [i for i, e in enumerate(entries) if e.modified >= last or e.reviewer_id in changed_profiles]
    changed = [i for i, p in enumerate(proposals) if p.modified >= last]
    return reviewers, changed


def _pair_count(entries, proposals, reviewer_scope, proposal_scope) -> int:
    if reviewer_scope is None:
        return len(entries) * len(proposals)
    return len(reviewer_scope) * len(proposals) + len(entries) * len(proposal_scope)


def _snapshot(config) -> dict:
    fields = ["coauthorship_lookback_years", "coauthorship_threshold_papers", "institutional_lookback_years",
              "include_same_department", "include_same_institution", "recusal_required_types",
              "management_allowed_types", "disclosure_only_types", "auto_detect_coauthorship",
              "auto_detect_institutional", "auto_detect_named_personnel"]
    return {name: getattr(config, name) for name in fields}
