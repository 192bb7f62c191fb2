from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


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
