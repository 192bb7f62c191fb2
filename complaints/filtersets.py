import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from departments.choices import Category

from .choices import OPEN_STATUSES, Status
from .models import Complaint
from .selectors import complaint_overdue_q

OPEN = "open"
STATUS_CHOICES = [(OPEN, _("未办结")), *Status.choices]


class ComplaintFilterSet(django_filters.FilterSet):
    """Filters of the staff queue and of `/api/v1/complaints/` (NetBox style: `district`, `department_id`, `q`)."""

    q = django_filters.CharFilter(method="search", label=_("查询编号或地址"))
    status = django_filters.MultipleChoiceFilter(choices=STATUS_CHOICES, method="filter_status", label=_("状态"))
    category = django_filters.MultipleChoiceFilter(choices=Category.choices, label=_("投诉类别"))
    district = django_filters.CharFilter(field_name="district__code", label=_("区县（代码）"))
    department_id = django_filters.NumberFilter(label=_("牵头部门ID"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("仅看超期"))

    class Meta:
        model = Complaint
        fields = ["q", "status", "category", "district", "department_id", "overdue"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(tracking_no__iexact=value) | Q(address__icontains=value))

    def filter_status(self, queryset, name, value):
        statuses = set(value)
        if OPEN in statuses:
            statuses = (statuses - {OPEN}) | set(OPEN_STATUSES)
        return queryset.filter(status__in=statuses) if statuses else queryset

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = complaint_overdue_q(now=timezone.now())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)
