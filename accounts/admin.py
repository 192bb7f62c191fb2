from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "first_name", "role", "organization", "is_active", "is_staff"]
    list_filter = ["role", "is_active", "is_staff"]
    list_select_related = ["organization"]
    search_fields = ["username", "first_name", "last_name", "email", "organization__name"]
    autocomplete_fields = ["organization"]
    fieldsets = DjangoUserAdmin.fieldsets + ((_("角色与单位"), {"fields": ("role", "organization", "phone")}),)

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """API tokens are listed and revoked (deleted) here; they are issued by `manage.py issue_api_token`, which shows
    the key once (only its SHA-256 is stored, issue 14)."""

    list_display = ["prefix", "user", "name", "created_at", "expires_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["prefix", "user__username", "name"]
    readonly_fields = ["prefix", "user", "name", "created_at", "expires_at", "last_used_at"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
