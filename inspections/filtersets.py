import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import ApplicationStatus, InspectionKind, InspectionResult
from .models import Inspection, InspectionApplication


class InspectionApplicationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("搜索"))
    status = django_filters.MultipleChoiceFilter(choices=ApplicationStatus.choices, label=_("状态"))
    kind = django_filters.MultipleChoiceFilter(choices=InspectionKind.choices, label=_("检验类别"))
    agency_id = django_filters.NumberFilter(label=_("检验机构ID"))
    elevator_id = django_filters.NumberFilter(label=_("电梯ID"))
    district = django_filters.CharFilter(field_name="elevator__district__code", label=_("区县（代码）"))
    scheduled_after = django_filters.DateFilter(field_name="scheduled_on", lookup_expr="gte", label=_("排期不早于"))
    scheduled_before = django_filters.DateFilter(field_name="scheduled_on", lookup_expr="lte", label=_("排期不晚于"))

    class Meta:
        model = InspectionApplication
        fields = ["q", "status", "kind", "agency_id", "elevator_id", "district", "scheduled_after", "scheduled_before"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(elevator__registration_code__startswith=value) | Q(elevator__address__icontains=value))


class InspectionFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("搜索"))
    result = django_filters.MultipleChoiceFilter(choices=InspectionResult.choices, label=_("检验结论"))
    kind = django_filters.MultipleChoiceFilter(choices=InspectionKind.choices, label=_("检验类别"))
    agency_id = django_filters.NumberFilter(label=_("检验机构ID"))
    elevator_id = django_filters.NumberFilter(label=_("电梯ID"))
    district = django_filters.CharFilter(field_name="elevator__district__code", label=_("区县（代码）"))
    inspected_after = django_filters.DateFilter(field_name="inspected_on", lookup_expr="gte", label=_("检验不早于"))
    inspected_before = django_filters.DateFilter(field_name="inspected_on", lookup_expr="lte", label=_("检验不晚于"))

    class Meta:
        model = Inspection
        fields = ["q", "result", "kind", "agency_id", "elevator_id", "district", "inspected_after", "inspected_before"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(report_no=value)
            | Q(elevator__registration_code__startswith=value)
            | Q(elevator__address__icontains=value)
        )
