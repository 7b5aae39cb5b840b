"""Admin for reviews.

A review's state moves only through the API (accept, submit, reject, recusal, the deadline job),
which locks and audits; here the state and the links are read-only, and reviews are never added
or deleted (a proposal's reviews are its record)."""

from django.contrib import admin

from referee.reviews.models import Review


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["uuid", "proposal", "reviewer", "state", "summary_score", "created"]
    list_filter = ["state", "coi_confirmed"]
    list_select_related = ["proposal", "reviewer"]
    search_fields = ["uuid", "proposal__name", "proposal__slug", "reviewer__username", "reviewer__last_name"]
    date_hierarchy = "created"
    raw_id_fields = ["proposal", "reviewer"]
    readonly_fields = ["uuid", "proposal", "reviewer", "state", "coi_confirmed", "coi_confirmed_at", "created",
                       "modified"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
