"""Business actions on calls, rounds and proposals."""

from django.db import transaction

from referee.calls.models import Call, CallAssignmentConfiguration, CallCOIConfiguration, MatchingConfiguration


@transaction.atomic
def create_call(*, managers=(), **fields) -> Call:
    """A call always comes with its three configurations (§2)."""
    call = Call.objects.create(**fields)
    if managers:
        call.managers.set(managers)
    CallAssignmentConfiguration.objects.create(call=call)
    CallCOIConfiguration.objects.create(call=call)
    MatchingConfiguration.objects.create(call=call)
    return call
