from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from accounts import access

from .models import ELEVATOR_ORGANIZATION_KINDS, District, Elevator, ImportJob, Organization, Person


class AccessScopedAdmin(SimpleHistoryAdmin):
    """Admin pages see and change only what accounts.access allows the signed-in user, history pages included."""

    scope = None  # a function of accounts.access returning the visible queryset
    can_change = None  # a function of accounts.access deciding a write

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return type(self).scope(request.user, qs) if type(self).scope else qs

    def _in_scope(self, request, obj) -> bool:
        return obj is None or obj.pk is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_module_permission(self, request):
        return access.can_use_admin_for(request.user, self.model)

    def has_view_permission(self, request, obj=None):
        return access.can_use_admin_for(request.user, self.model) and self._in_scope(request, obj)

    def has_add_permission(self, request):
        return access.can_use_admin_for(request.user, self.model) and (
            type(self).can_change is None or type(self).can_change(request.user)
        )

    def has_change_permission(self, request, obj=None):
        if not access.can_use_admin_for(request.user, self.model) or not self._in_scope(request, obj):
            return False
        return type(self).can_change is None or type(self).can_change(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        # The registry keeps its history: elevators are scrapped, not deleted.
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        # Checked again on the new values: a district regulator may not move a record out of the district.
        if type(self).can_change is not None and not type(self).can_change(request.user, obj):
            raise PermissionDenied
        super().save_model(request, obj, form, change)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "district" and not access.is_city_wide(request.user):
            kwargs["queryset"] = District.objects.filter(pk=request.user.district_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _history_in_scope(self, request, object_id):
        if not self.get_queryset(request).filter(pk=object_id).exists():
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        self._history_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context=extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._history_in_scope(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context=extra_context)


@admin.register(District)
class DistrictAdmin(AccessScopedAdmin):
    list_display = ["code", "name", "level", "parent"]
    search_fields = ["code", "name"]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Organization)
class OrganizationAdmin(AccessScopedAdmin):
    scope = staticmethod(access.organizations_for)
    can_change = staticmethod(access.can_change_organization)
    list_display = ["name", "kind", "district", "licence_no", "licence_valid_until", "is_active"]
    list_filter = ["kind", "district", "is_active"]
    list_select_related = ["district"]
    search_fields = ["name", "credit_code", "licence_no"]

    def get_search_results(self, request, queryset, search_term):
        # The autocomplete of a person's organisation offers only those the user may register people for.
        if request.GET.get("model_name") == "person" and request.GET.get("field_name") == "organization":
            queryset = access.person_organizations_for(request.user, queryset)
        return super().get_search_results(request, queryset, search_term)


@admin.register(Person)
class PersonAdmin(AccessScopedAdmin):
    """A district regulator registers certified people only for the district's organisations (issue 14): the
    choices are limited, and save_model checks the saved organisation again (access.can_change_person)."""

    scope = staticmethod(access.people_for)
    can_change = staticmethod(access.can_change_person)
    list_display = ["name", "kind", "organization", "certificate_no", "certificate_valid_until"]
    list_filter = ["kind"]
    list_select_related = ["organization"]
    search_fields = ["name", "certificate_no", "organization__name"]
    autocomplete_fields = ["organization"]
    raw_id_fields = ["user"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organization":
            kwargs["queryset"] = access.person_organizations_for(request.user, Organization.objects.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Elevator)
class ElevatorAdmin(AccessScopedAdmin):
    scope = staticmethod(access.elevators_for)
    can_change = staticmethod(access.can_change_elevator)
    list_display = [
        "registration_code",
        "rescue_code",
        "elevator_type",
        "district",
        "address",
        "use_unit",
        "status",
        "inspection_valid_until",
    ]
    list_filter = ["district", "elevator_type", "status", "building_kind"]
    list_select_related = ["district", "use_unit"]
    search_fields = ["registration_code", "rescue_code", "address", "building_name"]
    autocomplete_fields = ["use_unit", "manufacturer", "installer"]
    # The maintenance firm follows the active contract (maintenance.services; docs/rules.md "Maintenance").
    readonly_fields = ["maintenance_firm", "inspection_valid_until", "last_maintenance_on", "use_certificate_scan"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ELEVATOR_ORGANIZATION_KINDS:
            kwargs["queryset"] = Organization.objects.filter(kind=ELEVATOR_ORGANIZATION_KINDS[db_field.name])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ImportJob)
class ImportJobAdmin(AccessScopedAdmin):
    scope = staticmethod(access.import_jobs_for)
    can_change = staticmethod(lambda user, obj=None: False)
    list_display = ["id", "kind", "original_name", "status", "total_rows", "created_rows", "created_by", "created_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["created_by"]
