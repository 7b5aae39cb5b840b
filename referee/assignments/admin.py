"""Admin for assignment batches (items inline) and items.

States only change through the domain actions (API), which lock rows, enforce the state
machine and audit; here the state fields are read-only, and only batches the API would let go
(draft or cancelled) can be deleted."""

from django.contrib import admin

from referee.assignments.enums import BatchStatus, ItemStatus
from referee.assignments.models import AssignmentBatch, AssignmentItem

STATE_FIELDS = ["status", "sent_at", "expires_at", "responded_at", "reminder_sent", "manager_notified"]
REVIEWER_SEARCH = ["reviewer_pool_entry__reviewer__user__username", "reviewer_pool_entry__reviewer__user__email",
                   "reviewer_pool_entry__reviewer__user__last_name"]


class AssignmentItemInline(admin.TabularInline):
    model = AssignmentItem
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["proposal", "status", "affinity_score", "has_coi", "responded_at", "review"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False  # items come from generation, manual assignment and reassign


@admin.register(AssignmentBatch)
class AssignmentBatchAdmin(admin.ModelAdmin):
    list_display = ["uuid", "call", "reviewer", "status", "source", "sent_at", "expires_at", "created"]
    list_filter = ["status", "source", "reminder_sent", "manager_notified"]
    list_select_related = ["call", "reviewer_pool_entry__reviewer__user"]
    search_fields = ["uuid", "call__name", "call__slug", *REVIEWER_SEARCH]
    date_hierarchy = "created"
    raw_id_fields = ["call", "reviewer_pool_entry", "created_by"]
    readonly_fields = ["uuid", "call", "reviewer_pool_entry", "source", "created_by", "created", "modified",
                       *STATE_FIELDS]
    inlines = [AssignmentItemInline]

    @admin.display(ordering="reviewer_pool_entry__reviewer__user__last_name")
    def reviewer(self, batch):
        return batch.reviewer_pool_entry.reviewer.user.full_name

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if obj is None:
            return allowed
        return allowed and obj.status in (BatchStatus.DRAFT, BatchStatus.CANCELLED) \
            and not obj.items.filter(status=ItemStatus.ACCEPTED).exists()


@admin.register(AssignmentItem)
class AssignmentItemAdmin(admin.ModelAdmin):
    list_display = ["uuid", "proposal", "reviewer", "status", "batch_status", "has_coi", "affinity_score", "created"]
    list_filter = ["status", "has_coi", "batch__status", "batch__source"]
    list_select_related = ["proposal", "batch", "pool_entry__reviewer__user"]
    search_fields = ["uuid", "batch__uuid", "proposal__name", "proposal__slug",
                     *(path.replace("reviewer_pool_entry", "pool_entry") for path in REVIEWER_SEARCH)]
    raw_id_fields = ["batch", "proposal", "review", "reassigned_from", "overridden_by"]
    readonly_fields = ["uuid", "batch", "proposal", "status", "has_coi", "coi_records", "affinity_score",
                       "responded_at", "review", "reassigned_from", "reassign_count", "overridden_by", "overridden_at",
                       "created", "modified"]

    @admin.display(ordering="pool_entry__reviewer__user__last_name")
    def reviewer(self, item):
        return item.pool_entry.reviewer.user.full_name

    @admin.display(ordering="batch__status")
    def batch_status(self, item):
        return item.batch.get_status_display()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # deleting an item re-runs batch completion: that is the API's DELETE
