"""Permission predicates of calls, their configurations, rounds and proposals (§1, §3.4, §3.5,
§3.12). Named `predicates` rather than `rules`: in this project `rules` modules hold business
rules (`referee.conflicts.rules`), these answer "may this user do that" (see docs/decisions.md)."""

from referee.core.roles import is_manager_of, is_support, managed_call_ids, sees_everything


def can_create_call(user) -> bool:
    return bool(user.is_staff)


def can_manage_call(user, call) -> bool:
    """Act on a call: change it, its rounds and configurations, run its actions (staff count as managers)."""
    return is_manager_of(user, call.id)


def can_read_call_management(user, call) -> bool:
    """Read what only managers read of a call (configurations, pool, conflicts, engine results):
    its managers, and support users, who read everything staff read."""
    return can_manage_call(user, call) or is_support(user)


def can_open_console(user) -> bool:
    """Use the call manager's console: who manages some call, and staff and support (who read every call)."""
    return sees_everything(user) or bool(managed_call_ids(user))


def can_change_call_managers(user, call) -> bool:
    return bool(user.is_staff)


def can_manage_assignment_configuration(user, configuration) -> bool:
    return is_manager_of(user, configuration.call_id)


def can_edit_proposal(user, proposal) -> bool:
    return proposal.created_by_id == user.pk or is_manager_of(user, proposal.call_id)


def can_submit_proposal(user, proposal) -> bool:
    return proposal.created_by_id == user.pk
