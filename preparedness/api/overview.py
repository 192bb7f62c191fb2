"""`/api/v1/compliance/` (each elevator in use against the seven items, as the compliance page shows them) and
`/api/v1/preparedness-overview/` (the regulators' figures by district). docs/rules.md "Preparedness"."""

from django.utils.timezone import localdate
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from accounts import access
from registry.selectors import elevator_search_q

from ..selectors.compliance import ITEMS, compliance_queryset, compliance_row, preparedness_overview


class ManagesPreparedness(permissions.BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and access.can_manage_preparedness(request.user))


class Regulators(permissions.BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and access.can_view_preparedness_overview(request.user))


class ComplianceItemSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=list(ITEMS))
    label = serializers.CharField()
    state = serializers.CharField(help_text="ok, due_soon, missing or overdue")
    text = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)


class ComplianceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    registration_code = serializers.CharField()
    address = serializers.CharField()
    district = serializers.CharField()
    use_unit = serializers.CharField(allow_null=True)
    state = serializers.CharField(help_text="red (missing or overdue), amber (due soon) or green")
    items = ComplianceItemSerializer(many=True)

    def to_representation(self, elevator):
        row = compliance_row(elevator, today=self.context["today"])
        return {
            "id": elevator.pk,
            "registration_code": elevator.registration_code,
            "address": elevator.address,
            "district": elevator.district.code,
            "use_unit": elevator.use_unit.name if elevator.use_unit else None,
            "state": row.state,
            "items": [
                {"key": i.key, "label": str(i.label), "state": i.state, "text": str(i.text), "due_on": i.due_on}
                for i in row.items
            ],
        }


def _int_param(request, name: str) -> int | None:
    value = request.query_params.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else None


@extend_schema(
    parameters=[
        OpenApiParameter("district", int, description="a district's id"),
        OpenApiParameter("use_unit", int, description="a use unit's id (regulators)"),
        OpenApiParameter("missing", str, enum=list(ITEMS), description="only elevators whose item is red"),
        OpenApiParameter("q", str, description="registration code or address"),
    ]
)
class ComplianceViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The use unit's elevators in use (regulators: their scope) with the state of each item on today's date."""

    serializer_class = ComplianceSerializer
    permission_classes = [permissions.IsAuthenticated, ManagesPreparedness]
    filterset_class = None
    filter_backends = []

    def get_queryset(self):
        user, params = self.request.user, self.request.query_params
        district_id, use_unit_id = _int_param(self.request, "district"), _int_param(self.request, "use_unit")
        district = access.districts_for(user).filter(pk=district_id).first() if district_id else None
        use_unit = (
            access.preparedness_use_units_for(user).filter(pk=use_unit_id).first()
            if use_unit_id and access.is_regulator(user)
            else None
        )
        qs = compliance_queryset(
            user=user, today=localdate(), district=district, use_unit=use_unit, missing=params.get("missing", "")
        )
        q = params.get("q", "").strip()[:50]
        return qs.filter(elevator_search_q(q)) if q else qs

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": localdate()}


class OverviewViewSet(viewsets.ViewSet):
    """Regulators: per district of the scope, the elevators in use and how many are red on each item."""

    permission_classes = [permissions.IsAuthenticated, Regulators]

    @extend_schema(
        responses=inline_serializer(
            "PreparednessOverviewLine",
            fields={
                "district": serializers.CharField(allow_null=True),
                "in_use": serializers.IntegerField(),
                "red": serializers.DictField(child=serializers.IntegerField()),
                "insurance_coverage_percent": serializers.FloatField(allow_null=True),
                "use_units_without_safety_manager": serializers.IntegerField(),
            },
            many=True,
        ),
    )
    def list(self, request):
        lines, total = preparedness_overview(user=request.user)
        return Response(
            [
                {
                    "district": line.district.code if line.district else None,
                    "in_use": line.total,
                    "red": line.red,
                    "insurance_coverage_percent": line.coverage_percent,
                    "use_units_without_safety_manager": line.use_units_without_manager,
                }
                for line in ([*lines, total] if total else lines)
            ]
        )


router = SimpleRouter()
router.register("compliance", ComplianceViewSet, basename="compliance")
router.register("preparedness-overview", OverviewViewSet, basename="preparedness-overview")
urlpatterns = router.urls
