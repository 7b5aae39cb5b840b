from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from referee.core.models import AuditEvent, Customer, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "is_support", "is_active")
    list_filter = ("is_staff", "is_support", "is_active")
    fieldsets = DjangoUserAdmin.fieldsets + (("Referee", {"fields": ("is_support",)}),)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "uuid", "created")
    search_fields = ("name", "uuid")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Append-only: readable, never edited or deleted here."""

    list_display = ("created", "event_type", "object_type", "object_uuid", "from_state", "to_state", "actor", "call")
    list_filter = ("event_type", "object_type")
    search_fields = ("object_uuid", "message", "actor__username", "call__name")
    list_select_related = ("actor", "call")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
