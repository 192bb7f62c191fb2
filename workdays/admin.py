from django.contrib import admin

from accounts import access

from .models import CalendarDay


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """The holiday calendar is national data: regulators read it, city regulators correct it (e.g. when the State
    Council's notice comes out before a `chinesecalendar` release carries it)."""

    list_display = ["date", "kind", "name"]
    list_filter = ["kind", "name"]
    date_hierarchy = "date"
    search_fields = ["name"]

    def has_module_permission(self, request):
        return access.can_use_admin_for(request.user, self.model)

    def has_view_permission(self, request, obj=None):
        return access.can_use_admin_for(request.user, self.model)

    def has_add_permission(self, request):
        return access.can_use_admin_for(request.user, self.model) and access.is_city_wide(request.user)

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_add_permission(request)
