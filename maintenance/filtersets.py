import django_filters
from django.utils.translation import gettext_lazy as _

from .choices import RecordStatus, Tier
from .models import MaintenanceRecord


class MaintenanceRecordFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="elevator__registration_code", lookup_expr="startswith",
                                  label=_("注册代码"))
    status = django_filters.MultipleChoiceFilter(choices=RecordStatus.choices, label=_("状态"))
    tier = django_filters.MultipleChoiceFilter(choices=Tier.choices, label=_("维保类别"))
    elevator_id = django_filters.NumberFilter(label=_("电梯ID"))
    firm_id = django_filters.NumberFilter(label=_("维保单位ID"))
    district = django_filters.CharFilter(field_name="elevator__district__code", label=_("区县（代码）"))
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte", label=_("开始不早于"))
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lte", label=_("开始不晚于"))

    class Meta:
        model = MaintenanceRecord
        fields = ["q", "status", "tier", "elevator_id", "firm_id", "district", "started_after", "started_before"]
