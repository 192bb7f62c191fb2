"""API `firm-grades`: each maintenance firm's latest credit evaluation (plan §2(2) 维保企业信息网上公开).

Public information, like the firm pages: read-only and open to anonymous callers.
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions, serializers, viewsets

from maintenance.choices import Grade
from maintenance.credit.selectors import credit_latest_per_firm
from maintenance.models import CreditEvaluation


class FirmGradeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="firm__name", lookup_expr="icontains", label=_("搜索"))
    grade = django_filters.MultipleChoiceFilter(choices=Grade.choices, label=_("等级"))
    firm_id = django_filters.NumberFilter(field_name="firm_id", label=_("维保单位ID"))

    class Meta:
        model = CreditEvaluation
        fields = ["q", "grade", "firm_id"]


class FirmGradeSerializer(serializers.ModelSerializer):
    firm_name = serializers.CharField(source="firm.name", read_only=True)
    licence_no = serializers.CharField(source="firm.licence_no", read_only=True)
    licence_valid_until = serializers.DateField(source="firm.licence_valid_until", read_only=True)

    class Meta:
        model = CreditEvaluation
        fields = [
            "id",
            "firm",
            "firm_name",
            "licence_no",
            "licence_valid_until",
            "period",
            "window_start",
            "window_end",
            "elevators",
            "accidents",
            "failures",
            "complaints",
            "first_inspections",
            "first_passes",
            "accident_rate",
            "failure_rate",
            "complaint_rate",
            "first_pass_rate",
            "score",
            "grade",
            "capped_reason",
            "events",
            "computed_at",
        ]
        read_only_fields = fields


class FirmGradeViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = FirmGradeSerializer
    filterset_class = FirmGradeFilterSet
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        return credit_latest_per_firm()
