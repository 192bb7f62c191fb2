"""Filters of the key-monitoring list, its export and the API."""

import django_filters
from django.utils.translation import gettext_lazy

from elevator_portal.filters import DivisionCodeFilter
from registry.choices import BuildingKind, RiskAssessment, RiskReason
from registry.models import District, RiskFlag


class RiskFlagFilterSet(django_filters.FilterSet):
    """Filters shared by the key-monitoring list, its export and the API (NetBox-style names)."""

    district = DivisionCodeFilter(
        field_name="elevator__district__code",
        to_field_name="code",
        queryset=District.objects.all(),
        label=gettext_lazy("区县（代码）"),
    )
    district_id = django_filters.ModelMultipleChoiceFilter(
        field_name="elevator__district", queryset=District.objects.all(), label=gettext_lazy("区县")
    )
    reason = django_filters.MultipleChoiceFilter(choices=RiskReason.choices, label=gettext_lazy("原因"))
    building_kind = django_filters.MultipleChoiceFilter(
        field_name="elevator__building_kind", choices=BuildingKind.choices, label=gettext_lazy("场所类型")
    )
    assessment = django_filters.MultipleChoiceFilter(choices=RiskAssessment.choices, label=gettext_lazy("评估状态"))
    active = django_filters.BooleanFilter(field_name="cleared_on", lookup_expr="isnull", label=gettext_lazy("未解除"))

    class Meta:
        model = RiskFlag
        fields = ["district", "district_id", "reason", "building_kind", "assessment", "active"]
