from django.contrib import admin

from accounts import access
from registry.admin import AccessScopedAdmin

from .models import Department, PlanTask, RoutingRule, SectorRule, TaskProgress


def _city_wide(user, obj=None) -> bool:
    # The departments, the plan's tasks and the routing table are city-level data (plan §2(8)): city regulators
    # (and superusers) keep them; district regulators may read them.
    return access.is_city_wide(user)


class CityDataAdmin(AccessScopedAdmin):
    can_change = staticmethod(_city_wide)


@admin.register(Department)
class DepartmentAdmin(CityDataAdmin):
    list_display = ["name", "code", "district", "public_phone", "supervisor"]
    list_filter = ["district"]
    list_select_related = ["district", "supervisor"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["organization"]
    raw_id_fields = ["supervisor"]


@admin.register(PlanTask)
class PlanTaskAdmin(CityDataAdmin):
    list_display = ["number", "title", "includes_districts"]
    search_fields = ["title", "summary"]
    filter_horizontal = ["responsible"]


@admin.register(TaskProgress)
class TaskProgressAdmin(CityDataAdmin):
    list_display = ["task", "district", "author", "created_at"]
    list_filter = ["task", "district"]
    list_select_related = ["task", "district", "author"]
    raw_id_fields = ["author"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(CityDataAdmin):
    """The complaint routing table (docs/rules.md "Complaint routing"): data, edited here; new complaints follow it."""

    list_display = ["category", "department", "clause"]
    list_editable = ["department"]
    list_select_related = ["department"]


@admin.register(SectorRule)
class SectorRuleAdmin(CityDataAdmin):
    """Schools, hospitals, stations, malls and tourist sites also notify their sector department."""

    list_display = ["building_kind", "department"]
    list_editable = ["department"]
    list_select_related = ["department"]
