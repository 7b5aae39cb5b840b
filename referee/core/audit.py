"""Writing the audit trail (§7, Audit). Called by domain actions inside their transaction.

`event` builds one row, `record_many` writes any number of them in one INSERT (the bulk
transitions: a query count that does not grow with the rows), `record` writes one."""

from referee.core.models import AuditEvent


def event(event_type: str, obj, *, actor=None, call=None, from_state: str = "", to_state: str = "",
          message: str = "", **context) -> AuditEvent:
    """The unsaved event of `obj`'s change. `call` is the Call, or only its id on bulk paths that
    never load the row; by default the object's own `call`."""
    if call is None:
        call = getattr(obj, "call", None)
    where = {"call_id": call} if isinstance(call, int) else {"call": call}
    return AuditEvent(
        event_type=event_type,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        object_type=type(obj).__name__,
        object_uuid=obj.uuid,
        from_state=from_state or "",
        to_state=to_state or "",
        message=message,
        context=context,
        **where,
    )


def record_many(events: list[AuditEvent]) -> list[AuditEvent]:
    """Write the events in one INSERT, in the given order (their ids ascend with it)."""
    return AuditEvent.objects.bulk_create(events) if events else []


def record(event_type: str, obj, **details) -> AuditEvent:
    """Write one event; `details` are `event`'s keywords."""
    (written,) = record_many([event(event_type, obj, **details)])
    return written
