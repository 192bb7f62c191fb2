"""The admin shows preparedness records read-only, scoped by accounts.access: they are written through the pages
and the API, whose services hold the rules (a policy covers only its use unit's elevators, a drill moves the
elevator's last drill day, a safety manager's certificate is checked)."""

from django.contrib import admin

from accounts import access
from registry.admin import AccessScopedAdmin

from .models import Drill, EmergencyPlan, InsuranceClaim, InsurancePolicy, SafetyAssignment, SafetyManagement


class ReadOnlyScopedAdmin(AccessScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SafetyManagement)
class SafetyManagementAdmin(ReadOnlyScopedAdmin):
    scope = access.safety_managements_for
    list_display = ["use_unit", "body_name", "principal", "updated_at"]
    search_fields = ["use_unit__name", "body_name"]


@admin.register(SafetyAssignment)
class SafetyAssignmentAdmin(ReadOnlyScopedAdmin):
    scope = access.safety_assignments_for
    list_display = ["person", "elevator", "assigned_at"]
    search_fields = ["person__name", "elevator__registration_code"]


@admin.register(EmergencyPlan)
class EmergencyPlanAdmin(ReadOnlyScopedAdmin):
    scope = access.emergency_plans_for
    list_display = ["title", "version", "use_unit", "adopted_on"]
    search_fields = ["title", "use_unit__name"]


@admin.register(Drill)
class DrillAdmin(ReadOnlyScopedAdmin):
    scope = access.drills_for
    list_display = ["use_unit", "firm", "scenario", "status", "planned_on", "held_on"]
    list_filter = ["status", "scenario"]
    search_fields = ["use_unit__name", "firm__name"]


@admin.register(InsurancePolicy)
class InsurancePolicyAdmin(ReadOnlyScopedAdmin):
    scope = access.insurance_policies_for
    list_display = ["insurer", "policy_no", "insured", "starts_on", "ends_on"]
    search_fields = ["insurer", "policy_no", "insured__name"]


@admin.register(InsuranceClaim)
class InsuranceClaimAdmin(ReadOnlyScopedAdmin):
    scope = access.insurance_claims_for
    list_display = ["policy", "elevator", "claimed_on", "amount", "status"]
    list_filter = ["status"]
