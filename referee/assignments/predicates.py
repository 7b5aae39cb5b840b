"""Permission predicates of assignment batches and items (§3.1, §3.3)."""

from referee.core.roles import is_manager_of, is_support


def can_manage_batch(user, batch) -> bool:
    """Change, send, cancel, extend or delete a batch: the call's managers."""
    return is_manager_of(user, batch.call_id)


def can_manage_item(user, item) -> bool:
    """Change, delete, reassign or force-unblock an item: the call's managers."""
    return is_manager_of(user, item.batch.call_id)


def can_read_item_suggestions(user, item) -> bool:
    """The alternatives to an item's reviewer: what managers read, so support reads them too."""
    return can_manage_item(user, item) or is_support(user)


def can_respond_to_item(user, item) -> bool:
    """Accept or decline an item: its reviewer alone."""
    return item.pool_entry.reviewer.user_id == user.pk


def can_manage_matching_job(user, job) -> bool:
    """Cancel a matching job (issue 13): the call's managers."""
    return is_manager_of(user, job.call_id)
