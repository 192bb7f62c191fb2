from django.contrib import admin

from accounts import access

from .models import Notification, Reminder


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "recipient", "created_at", "read_at", "emailed"]
    list_select_related = ["recipient"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["kind", "subject_key", "cycle", "created_at"]
    list_filter = ["kind"]
    search_fields = ["subject_key"]

    def has_module_permission(self, request):
        return request.user.is_staff and access.is_city_wide(request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
