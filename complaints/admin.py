from django.contrib import admin, messages
from django.utils.translation import gettext as _

from accounts import access
from registry.admin import AccessScopedAdmin

from .models import Complaint, ComplaintEvent, PartnerKey


def _read_only(user, obj=None) -> bool:
    # Complaints move through complaint_transition (roles, states, deadlines, the resident's SMS), not the admin.
    return False


class ComplaintEventInline(admin.TabularInline):
    model = ComplaintEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "status", "text", "public", "organization", "actor"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Complaint)
class ComplaintAdmin(AccessScopedAdmin):
    scope = staticmethod(access.complaints_for)
    can_change = staticmethod(_read_only)
    list_display = [
        "tracking_no",
        "category",
        "status",
        "district",
        "department",
        "trapped_now",
        "created_at",
        "resolve_deadline",
        "escalated_at",
    ]
    list_filter = ["status", "category", "district", "department", "source", "trapped_now"]
    list_select_related = ["district", "department"]
    search_fields = ["tracking_no", "address", "elevator__registration_code"]
    date_hierarchy = "created_at"
    # The salted IP hash and the escalation run are internal bookkeeping, never shown.
    exclude = ["submitter_hash"]
    raw_id_fields = ["elevator", "duplicate_of"]
    inlines = [ComplaintEventInline]


@admin.register(PartnerKey)
class PartnerKeyAdmin(admin.ModelAdmin):
    """Open311 partner keys are credentials: only superusers see or change them. A key is made when its partner is
    added and shown once in the message that follows; only its SHA-256 is stored (issue 14). To replace a key,
    add the partner again under a new name and deactivate the old one."""

    list_display = ["name", "prefix", "is_active", "created_at", "expires_at", "last_used_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change and obj.key:
            text = _("“%(name)s”的api_key（只显示这一次，请立即交给合作系统）：%(key)s")
            self.message_user(request, text % {"name": obj.name, "key": obj.key}, messages.WARNING)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser
