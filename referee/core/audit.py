"""Writing the audit trail (§7, Audit). Called by domain actions inside their transaction."""

from referee.core.models import AuditEvent


def record(event_type: str, obj, *, actor=None, call=None, from_state: str = "", to_state: str = "",
           message: str = "", **context) -> AuditEvent:
    return AuditEvent.objects.create(
        event_type=event_type,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        call=call if call is not None else getattr(obj, "call", None),
        object_type=type(obj).__name__,
        object_uuid=obj.uuid,
        from_state=from_state or "",
        to_state=to_state or "",
        message=message,
        context=context,
    )
