"""Admin for calls (with their three configurations inline), rounds and proposals."""

from django.contrib import admin

from referee.calls import models


class _ConfigurationInline(admin.StackedInline):
    extra = 1
    max_num = 1
    can_delete = False  # one per call, for the call's whole life (§2)


class AssignmentConfigurationInline(_ConfigurationInline):
    model = models.CallAssignmentConfiguration


class COIConfigurationInline(_ConfigurationInline):
    model = models.CallCOIConfiguration


class MatchingConfigurationInline(_ConfigurationInline):
    model = models.MatchingConfiguration


class RoundInline(admin.TabularInline):
    model = models.Round
    extra = 0
    fields = ["name", "slug", "start_time", "cutoff_time", "review_duration_in_days"]


@admin.register(models.Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "state", "manager", "created"]
    list_filter = ["state"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["managers"]
    raw_id_fields = ["manager"]
    inlines = [AssignmentConfigurationInline, COIConfigurationInline, MatchingConfigurationInline, RoundInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # An inline left at its defaults is not saved; a call must still have all three (§2).
        for model in (models.CallAssignmentConfiguration, models.CallCOIConfiguration, models.MatchingConfiguration):
            model.objects.get_or_create(call=form.instance)


@admin.register(models.Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["__str__", "call", "start_time", "cutoff_time", "review_duration_in_days"]
    list_select_related = ["call"]
    search_fields = ["name", "slug", "call__name"]
    raw_id_fields = ["call"]


@admin.register(models.Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ["name", "call", "round", "state", "created_by", "created"]
    list_filter = ["state"]
    list_select_related = ["call", "round", "created_by"]
    search_fields = ["name", "slug", "call__name"]
    raw_id_fields = ["round", "created_by", "organization"]
    filter_horizontal = ["team"]
    readonly_fields = ["call"]
