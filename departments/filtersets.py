import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from elevator_portal.filters import DivisionCodeFilter
from registry.models import District

from .models import Department


class DepartmentFilterSet(django_filters.FilterSet):
    """NetBox-style filters: `q` searches name, code and duties; `district` takes division codes."""

    q = django_filters.CharFilter(method="search", label=_("搜索"))
    district = DivisionCodeFilter(
        field_name="district__code", to_field_name="code", queryset=District.objects.all(), label=_("区县（代码）")
    )
    district_id = django_filters.ModelMultipleChoiceFilter(queryset=District.objects.all(), label=_("区县"))

    class Meta:
        model = Department
        fields = ["q", "district", "district_id"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(code=value) | Q(duties__icontains=value))
