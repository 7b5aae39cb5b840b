from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from referee.core import accounts
from referee.core.models import AuditEvent, Customer, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Changes go through the same domain action as the API: nobody removes their own staff or
    active flag, and the last active staff user keeps both."""

    list_display = ("username", "email", "first_name", "last_name", "is_staff", "is_support", "is_active")
    list_filter = ("is_staff", "is_support", "is_active")
    fieldsets = DjangoUserAdmin.fieldsets + (("Referee", {"fields": ("is_support",)}),)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            return form

        class GuardedForm(form):
            def clean(self):
                cleaned = super().clean()
                changes = {flag: cleaned[flag] for flag in accounts.ROLE_FLAGS if flag in cleaned}
                staff = User.objects.filter(is_staff=True, is_active=True)
                refusal = accounts.refusal_of_role_change(self.instance, request.user, changes, staff)
                if refusal is not None:
                    self.add_error(refusal.field, refusal.message)
                return cleaned

        return GuardedForm

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        plain = {field.name for field in User._meta.concrete_fields}
        changes = {name: getattr(obj, name) for name in form.changed_data if name in plain}
        accounts.update_user(obj, actor=request.user, changes=changes)


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
