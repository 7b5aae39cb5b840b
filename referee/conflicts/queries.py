"""Read models of conflicts of interest: the call's conflict summary (§3.5 `conflict-summary/`)."""

from django.db.models import Count, Q

from referee.calls.models import COI_TYPE_CODES
from referee.conflicts.models import ConflictOfInterest

# Each group of the summary: (the field counted, every value it is counted by).
SUMMARY_GROUPS = {
    "by_status": ("status", ConflictOfInterest.Status.values),
    "by_severity": ("severity", ConflictOfInterest.Severity.values),
    "by_type": ("coi_type", COI_TYPE_CODES),
}


def summarise_conflicts(call) -> dict:
    """Counts of the call's conflicts by status, severity and type; every enum value is a key,
    zeros included, so a dashboard needs no defaults. One aggregate query."""
    aggregates = {"total": Count("pk")}
    for group, (field, values) in SUMMARY_GROUPS.items():
        aggregates.update({f"{group}_{value}": Count("pk", filter=Q(**{field: value})) for value in values})
    counts = ConflictOfInterest.objects.filter(call=call).aggregate(**aggregates)
    summary = {"total": counts["total"]}
    for group, (_, values) in SUMMARY_GROUPS.items():
        summary[group] = {value: counts[f"{group}_{value}"] for value in values}
    return summary
