import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from elevator_portal.filters import DateFilter

from .choices import OPEN_APPLICATION_STATUSES, ApplicationStatus, InspectionKind, InspectionResult
from .models import Inspection, InspectionApplication

OPEN = "open"
APPLICATION_STATUS_CHOICES = [(OPEN, _("未办结")), *ApplicationStatus.choices]


def elevator_code_or_address_q(value: str) -> Q:
    """`q` of the lists whose rows hang off an elevator: a registration-code prefix or part of the address."""
    return Q(elevator__registration_code__startswith=value) | Q(elevator__address__icontains=value)


class InspectionApplicationFilterSet(django_filters.FilterSet):
    """Filters of the application list page and `/api/v1/inspection-applications/`."""

    q = django_filters.CharFilter(method="search", label=_("注册代码或地址"))
    # `open`: submitted, accepted or scheduled, the agency's working queue.
    status = django_filters.MultipleChoiceFilter(
        choices=APPLICATION_STATUS_CHOICES, method="filter_status", label=_("状态")
    )
    kind = django_filters.MultipleChoiceFilter(choices=InspectionKind.choices, label=_("检验类别"))
    agency_id = django_filters.NumberFilter(label=_("检验机构ID"))
    elevator_id = django_filters.NumberFilter(label=_("电梯ID"))
    district = django_filters.CharFilter(field_name="elevator__district__code", label=_("区县（代码）"))
    scheduled_after = DateFilter(field_name="scheduled_on", lookup_expr="gte", label=_("排期不早于"))
    scheduled_before = DateFilter(field_name="scheduled_on", lookup_expr="lte", label=_("排期不晚于"))

    class Meta:
        model = InspectionApplication
        fields = ["q", "status", "kind", "agency_id", "elevator_id", "district", "scheduled_after", "scheduled_before"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(elevator_code_or_address_q(value)) if value else queryset

    def filter_status(self, queryset, name, value):
        statuses = set(value)
        if OPEN in statuses:
            statuses = (statuses - {OPEN}) | set(OPEN_APPLICATION_STATUSES)
        return queryset.filter(status__in=statuses) if statuses else queryset


class InspectionFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("搜索"))
    result = django_filters.MultipleChoiceFilter(choices=InspectionResult.choices, label=_("检验结论"))
    kind = django_filters.MultipleChoiceFilter(choices=InspectionKind.choices, label=_("检验类别"))
    agency_id = django_filters.NumberFilter(label=_("检验机构ID"))
    elevator_id = django_filters.NumberFilter(label=_("电梯ID"))
    district = django_filters.CharFilter(field_name="elevator__district__code", label=_("区县（代码）"))
    inspected_after = DateFilter(field_name="inspected_on", lookup_expr="gte", label=_("检验不早于"))
    inspected_before = DateFilter(field_name="inspected_on", lookup_expr="lte", label=_("检验不晚于"))

    class Meta:
        model = Inspection
        fields = ["q", "result", "kind", "agency_id", "elevator_id", "district", "inspected_after", "inspected_before"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(report_no=value) | elevator_code_or_address_q(value)) if value else queryset
