from django.contrib import admin

from accounts import access
from registry.admin import AccessScopedAdmin

from .models import Defect, Inspection, InspectionApplication


def _read_only(user, obj=None) -> bool:
    # Workflow changes go through the services (roles and states are enforced there), not the admin.
    return False


@admin.register(InspectionApplication)
class InspectionApplicationAdmin(AccessScopedAdmin):
    scope = staticmethod(access.inspection_applications_for)
    can_change = staticmethod(_read_only)
    list_display = ["elevator", "kind", "agency", "status", "scheduled_on", "created_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["elevator", "agency"]
    search_fields = ["elevator__registration_code", "elevator__address"]


class DefectInline(admin.TabularInline):
    model = Defect
    fk_name = "inspection"
    extra = 0
    can_delete = False
    fields = ["description", "deadline", "status", "rectification_note"]
    readonly_fields = fields


@admin.register(Inspection)
class InspectionAdmin(AccessScopedAdmin):
    scope = staticmethod(access.inspections_for)
    can_change = staticmethod(_read_only)
    list_display = ["report_no", "elevator", "kind", "agency", "inspected_on", "result", "valid_until"]
    list_filter = ["result", "kind", "agency"]
    list_select_related = ["elevator", "agency"]
    search_fields = ["report_no", "elevator__registration_code"]
    inlines = [DefectInline]
