"""Admin for conflicts of interest and detection jobs.

A conflict's status moves only through the API's review actions (dismiss, waive, recuse), which
lock the pair's items, move them and audit; here status, rule and review fields are read-only
and only the descriptive texts may be corrected. Jobs are read-only records of detection runs."""

from django.contrib import admin

from referee.conflicts.models import COIDetectionJob, ConflictOfInterest


@admin.register(ConflictOfInterest)
class ConflictOfInterestAdmin(admin.ModelAdmin):
    list_display = ["uuid", "call", "reviewer", "proposal", "coi_type", "severity", "status", "rule", "detected_at"]
    list_filter = ["status", "severity", "rule", "detection_method", "coi_type"]
    list_select_related = ["call", "reviewer__user", "proposal"]
    search_fields = ["uuid", "call__name", "proposal__name", "reviewer__user__username", "reviewer__user__last_name"]
    date_hierarchy = "detected_at"
    raw_id_fields = ["reviewer", "proposal", "call", "conflicting_user", "conflicting_organization", "reviewed_by"]
    readonly_fields = ["uuid", "reviewer", "proposal", "call", "coi_type", "severity", "detection_method",
                       "detected_at", "status", "rule", "reviewed_by", "reviewed_at", "created", "modified"]

    def has_add_permission(self, request):
        return False  # conflicts come from detection and self-declaration

    def has_delete_permission(self, request, obj=None):
        return False  # "never recreated whatever its status" (§5.7) relies on the record staying


@admin.register(COIDetectionJob)
class COIDetectionJobAdmin(admin.ModelAdmin):
    list_display = ["uuid", "call", "job_type", "state", "processed_pairs", "total_pairs", "conflicts_found",
                    "created"]
    list_filter = ["state", "job_type"]
    list_select_related = ["call"]
    search_fields = ["uuid", "call__name"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False  # jobs are started by the call action `detect-conflicts/`
