"""Permission predicates of conflicts of interest (§3.7). Which conflicts block and under which
rule is business, in `referee.conflicts.rules`; who may act on a conflict is here."""

from referee.core.roles import is_manager_of


def can_manage_conflict(user, conflict) -> bool:
    """Change the notes, dismiss, waive, recuse: the call's managers."""
    return is_manager_of(user, conflict.call_id)


def can_manage_detection_job(user, job) -> bool:
    """Cancel a detection job (issue 13): the call's managers."""
    return is_manager_of(user, job.call_id)
