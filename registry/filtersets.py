import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from elevator_portal.filters import DateFilter, DivisionCodeFilter

from .choices import BuildingKind, ElevatorStatus, ElevatorType, InspectionStatus, OrganizationKind
from .models import District, Elevator, Organization
from .selectors import elevator_search_q
from .states import inspection_status_q, maintenance_overdue_q


class ElevatorFilterSet(django_filters.FilterSet):
    """Filters shared by the elevator list page, the API and exports (NetBox-style names)."""

    q = django_filters.CharFilter(method="search", label=_("搜索"))
    # distinct=False: these follow forward foreign keys, which cannot repeat a row, and a SELECT DISTINCT over
    # the whole registry would defeat the indexes (bench/README.md).
    # By the district's id (the form already looked the codes up), not a join on its code: a join would hide the
    # id from the (district, type, code) index that serves the page in code order.
    district = django_filters.ModelMultipleChoiceFilter(
        to_field_name="code",
        queryset=District.objects.all(),
        label=_("区县（代码）"),
        method="filter_district",
    )
    district_id = django_filters.ModelMultipleChoiceFilter(
        queryset=District.objects.all(), label=_("区县"), distinct=False
    )
    elevator_type = django_filters.MultipleChoiceFilter(
        choices=ElevatorType.choices, label=_("电梯类型"), distinct=False
    )
    status = django_filters.MultipleChoiceFilter(choices=ElevatorStatus.choices, label=_("状态"), distinct=False)
    building_kind = django_filters.MultipleChoiceFilter(
        choices=BuildingKind.choices, label=_("场所类型"), distinct=False
    )
    use_unit_id = django_filters.NumberFilter(field_name="use_unit_id", label=_("使用单位ID"))
    maintenance_firm_id = django_filters.NumberFilter(field_name="maintenance_firm_id", label=_("维保单位ID"))
    commissioned_after = DateFilter(field_name="commission_date", lookup_expr="gte", label=_("投入使用不早于"))
    commissioned_before = DateFilter(field_name="commission_date", lookup_expr="lte", label=_("投入使用不晚于"))
    inspection_status = django_filters.ChoiceFilter(
        choices=InspectionStatus.choices, method="filter_inspection", label=_("检验状态")
    )
    maintenance_overdue = django_filters.BooleanFilter(method="filter_maintenance_overdue", label=_("维保超期"))

    class Meta:
        model = Elevator
        fields = [
            "q",
            "district",
            "district_id",
            "elevator_type",
            "status",
            "building_kind",
            "use_unit_id",
            "maintenance_firm_id",
            "commissioned_after",
            "commissioned_before",
            "inspection_status",
            "maintenance_overdue",
        ]

    def search(self, queryset, name, value):
        return queryset.filter(elevator_search_q(value))

    def filter_district(self, queryset, name, value):
        return queryset.filter(district_id__in=[d.pk for d in value]) if value else queryset

    def filter_maintenance_overdue(self, queryset, name, value):
        overdue = maintenance_overdue_q(today=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_inspection(self, queryset, name, value):
        return queryset.filter(inspection_status_q(value, today=timezone.localdate()))


class OrganizationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("搜索"))
    kind = django_filters.MultipleChoiceFilter(choices=OrganizationKind.choices, label=_("单位类型"))
    district = DivisionCodeFilter(
        field_name="district__code", to_field_name="code", queryset=District.objects.all(), label=_("区县（代码）")
    )
    district_id = django_filters.ModelMultipleChoiceFilter(queryset=District.objects.all(), label=_("区县"))
    licence_expires_before = DateFilter(
        field_name="licence_valid_until", lookup_expr="lte", label=_("许可证有效期不晚于")
    )

    class Meta:
        model = Organization
        fields = ["q", "kind", "district", "district_id", "licence_expires_before"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(credit_code=value) | Q(licence_no=value))


class DistrictFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("搜索"))

    class Meta:
        model = District
        fields = ["q", "level"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code=value.strip()))
