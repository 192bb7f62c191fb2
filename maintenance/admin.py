from django.contrib import admin

from accounts import access
from registry.admin import AccessScopedAdmin

from .models import ChecklistItem, CreditEvaluation, Fault, MaintenanceContract, MaintenanceRecord, RecordItem


def _never(user, obj=None) -> bool:
    # Records, contracts and faults change only through the services, where roles, states and the
    # immutability of confirmed records (TSG T5002-2017) are enforced.
    return False


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    """The checklist of each tier is data that administrators keep up to date."""

    list_display = ["tier", "code", "title", "requirement", "order", "is_active"]
    list_filter = ["tier", "is_active"]
    list_editable = ["order", "is_active"]
    search_fields = ["title", "requirement"]

    def has_module_permission(self, request):
        return request.user.is_superuser or access.is_city_wide(request.user) and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    has_add_permission = has_change_permission = has_view_permission  # same people keep the list

    def has_delete_permission(self, request, obj=None):
        return False  # retire an item with is_active; records keep pointing at it


class RecordItemInline(admin.TabularInline):
    model = RecordItem
    extra = 0
    can_delete = False
    fields = ["item", "result", "note"]
    readonly_fields = fields


@admin.register(MaintenanceRecord)
class MaintenanceRecordAdmin(AccessScopedAdmin):
    scope = staticmethod(access.maintenance_records_for)
    can_change = staticmethod(_never)
    list_display = ["elevator", "firm", "tier", "started_at", "status", "confirmed_at"]
    list_filter = ["status", "tier"]
    list_select_related = ["elevator", "firm"]
    search_fields = ["elevator__registration_code"]
    inlines = [RecordItemInline]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MaintenanceContract)
class MaintenanceContractAdmin(AccessScopedAdmin):
    scope = staticmethod(access.contracts_for)
    can_change = staticmethod(_never)
    list_display = ["number", "use_unit", "firm", "starts_on", "ends_on", "status"]
    list_filter = ["status"]
    list_select_related = ["use_unit", "firm"]
    search_fields = ["number", "use_unit__name", "firm__name"]


@admin.register(Fault)
class FaultAdmin(AccessScopedAdmin):
    scope = staticmethod(access.faults_for)
    can_change = staticmethod(_never)
    list_display = ["elevator", "kind", "source", "reported_at", "arrived_at", "released_at"]
    list_filter = ["kind", "source", "cause"]
    list_select_related = ["elevator"]
    search_fields = ["elevator__registration_code"]


@admin.register(CreditEvaluation)
class CreditEvaluationAdmin(AccessScopedAdmin):
    can_change = staticmethod(_never)
    list_display = ["firm", "period", "score", "grade", "capped_reason"]
    list_filter = ["grade", "period"]
    list_select_related = ["firm"]
