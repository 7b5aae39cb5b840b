"""Django admin for reviewer profiles (with their nested rows) and call pool entries.

Invitation state is changed through the API's domain actions (which lock, guard and audit); the
admin shows it read-only and only lets operators correct descriptive data."""

from django.contrib import admin

from referee.reviewers.models import (
    CallReviewerPool,
    ReviewerAffiliation,
    ReviewerExpertise,
    ReviewerProfile,
    ReviewerPublication,
)


class AffiliationInline(admin.TabularInline):
    model = ReviewerAffiliation
    extra = 0
    raw_id_fields = ["organization"]
    fields = ["organization", "organization_name", "department", "position_title", "start_date", "end_date",
              "is_primary", "affiliation_type"]


class ExpertiseInline(admin.TabularInline):
    model = ReviewerExpertise
    extra = 0
    fields = ["expertise_keyword", "proficiency_level", "years_experience", "last_active_date"]


class PublicationInline(admin.StackedInline):
    model = ReviewerPublication
    extra = 0
    fields = ["title", "publication_year", "venue", "venue_type", "doi", "abstract", "coauthors", "external_ids",
              "is_excluded_from_matching"]


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "orcid_id", "available_for_reviews", "is_published", "created"]
    list_filter = ["is_published", "available_for_reviews"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email", "orcid_id",
                     "uuid"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = ["uuid", "created", "modified", "published_at"]
    inlines = [AffiliationInline, ExpertiseInline, PublicationInline]


@admin.register(CallReviewerPool)
class CallReviewerPoolAdmin(admin.ModelAdmin):
    list_display = ["reviewer", "call", "invitation_status", "max_assignments", "invited_at",
                    "invitation_expires_at"]
    list_filter = ["invitation_status"]
    search_fields = ["reviewer__user__username", "reviewer__user__email", "call__name", "uuid"]
    list_select_related = ["reviewer__user", "call"]
    date_hierarchy = "invited_at"
    # The token is a credential (the invitation link); state fields belong to the domain actions.
    exclude = ["invitation_token"]
    readonly_fields = ["uuid", "created", "modified", "call", "reviewer", "invitation_status", "response_date",
                       "invited_at", "invited_by", "invitation_expires_at", "override_reason", "overridden_by",
                       "overridden_at", "expiry_notified"]

    def has_add_permission(self, request):
        return False  # invitations are made through `reviewer-pool/` (skips members, sets expiry, audits)
