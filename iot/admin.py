from django.contrib import admin

from accounts import access

from .models import Device, DeviceEvent, IngestRejection


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["device_id", "elevator", "vendor", "online", "last_seen_at", "offline_reported_at"]
    list_filter = ["online", "vendor"]
    search_fields = ["device_id", "elevator__registration_code"]
    raw_id_fields = ["elevator"]
    readonly_fields = ["last_seen_at", "online", "offline_reported_at"]

    def get_queryset(self, request):
        return access.devices_for(request.user, super().get_queryset(request))

    def has_add_permission(self, request):
        return access.can_manage_devices(request.user)

    def has_change_permission(self, request, obj=None):
        return access.can_manage_devices(request.user, obj.elevator if obj else None)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)


@admin.register(DeviceEvent)
class DeviceEventAdmin(admin.ModelAdmin):
    list_display = ["device", "event_id", "kind", "occurred_at", "received_at", "outcome", "fault"]
    list_filter = ["kind", "outcome"]
    raw_id_fields = ["device", "fault"]

    def get_queryset(self, request):
        devices = access.devices_for(request.user)
        return super().get_queryset(request).filter(device__in=devices)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IngestRejection)
class IngestRejectionAdmin(admin.ModelAdmin):
    list_display = ["day", "channel", "reason", "count"]
    list_filter = ["channel", "reason"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
