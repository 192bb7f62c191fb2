import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from elevator_portal.dates import day_bounds
from elevator_portal.filters import DateFilter, IsoDateTimeFilter

from .choices import FaultKind, FaultSource, RecordStatus, Tier
from .models import Fault, MaintenanceRecord


class MaintenanceRecordFilterSet(django_filters.FilterSet):
    """Filters of the record list page and `/api/v1/maintenance-records/` (NetBox-style names)."""

    q = django_filters.CharFilter(method="search", label=_("注册代码或地址"))
    status = django_filters.MultipleChoiceFilter(choices=RecordStatus.choices, label=_("状态"))
    tier = django_filters.MultipleChoiceFilter(choices=Tier.choices, label=_("维保类别"))
    elevator_id = django_filters.NumberFilter(label=_("电梯ID"))
    firm_id = django_filters.NumberFilter(label=_("维保单位ID"))
    district = django_filters.CharFilter(field_name="elevator__district__code", label=_("区县（代码）"))
    started_after = IsoDateTimeFilter(field_name="started_at", lookup_expr="gte", label=_("开始不早于"))
    started_before = IsoDateTimeFilter(field_name="started_at", lookup_expr="lte", label=_("开始不晚于"))

    class Meta:
        model = MaintenanceRecord
        fields = ["q", "status", "tier", "elevator_id", "firm_id", "district", "started_after", "started_before"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(elevator__registration_code__startswith=value) | Q(elevator__address__icontains=value))


class FaultFilterSet(django_filters.FilterSet):
    """Filters shared by the fault list page and `/api/v1/faults/` (NetBox-style names)."""

    q = django_filters.CharFilter(method="search", label=_("搜索"))
    kind = django_filters.MultipleChoiceFilter(choices=FaultKind.choices, label=_("故障类型"))
    source = django_filters.MultipleChoiceFilter(choices=FaultSource.choices, label=_("来源"))
    district = django_filters.CharFilter(field_name="elevator__district__code", label=_("区县（代码）"))
    elevator_id = django_filters.NumberFilter(label=_("电梯ID"))
    firm_id = django_filters.NumberFilter(label=_("维保单位ID"))
    reported_after = DateFilter(method="filter_reported_after", label=_("报告日期不早于"))
    reported_before = DateFilter(method="filter_reported_before", label=_("报告日期不晚于"))

    class Meta:
        model = Fault
        fields = ["q", "kind", "source", "district", "elevator_id", "firm_id", "reported_after", "reported_before"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        q = Q(elevator__address__icontains=value) | Q(external_ref=value) | Q(description__icontains=value)
        if value.isdigit():
            q |= Q(elevator__registration_code__startswith=value) | Q(elevator__rescue_code=value)
        return queryset.filter(q)

    def filter_reported_after(self, queryset, name, value):
        return queryset.filter(reported_at__gte=day_bounds(value, value)[0])

    def filter_reported_before(self, queryset, name, value):
        return queryset.filter(reported_at__lt=day_bounds(value, value)[1])
