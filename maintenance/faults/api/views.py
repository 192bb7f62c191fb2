"""`/api/v1/faults/`: faults and entrapments for IoT systems, the 96333 platform and firms' own systems.

Reads are scoped by accounts.access.faults_for; creating goes through maintenance.services.fault_report and the
`timings` action through fault_update_timings, so the API keeps the same rules and messages as the pages.
"""

from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts import access
from maintenance.choices import FaultCause, FaultKind, FaultSource
from maintenance.faults import rules, selectors, services
from maintenance.filtersets import FaultFilterSet
from maintenance.models import Fault
from registry.models import Elevator


class FaultSerializer(serializers.ModelSerializer):
    registration_code = serializers.CharField(source="elevator.registration_code", read_only=True)
    district = serializers.CharField(source="elevator.district.code", read_only=True)
    arrival_limit_minutes = serializers.SerializerMethodField()
    arrival_minutes = serializers.SerializerMethodField()
    arrived_within_limit = serializers.SerializerMethodField()
    is_accident = serializers.SerializerMethodField()

    class Meta:
        model = Fault
        fields = [
            "id",
            "elevator",
            "registration_code",
            "district",
            "firm",
            "source",
            "kind",
            "cause",
            "description",
            "trapped_people",
            "reported_at",
            "dispatched_at",
            "arrived_at",
            "released_at",
            "accident_at",
            "external_ref",
            "arrival_limit_minutes",
            "arrival_minutes",
            "arrived_within_limit",
            "is_accident",
            "created_at",
        ]
        read_only_fields = fields

    def get_arrival_limit_minutes(self, obj) -> int | None:
        return rules.arrival_limit_minutes(obj.elevator.district.code) if obj.kind == FaultKind.ENTRAPMENT else None

    def get_arrival_minutes(self, obj) -> float | None:
        minutes = rules.arrival_minutes(obj)
        return round(minutes, 1) if minutes is not None else None

    def get_arrived_within_limit(self, obj) -> bool | None:
        return rules.arrived_within_limit(obj)

    def get_is_accident(self, obj) -> bool:
        return rules.is_accident(obj)


class FaultReportSerializer(serializers.Serializer):
    """Input of a report: the elevator by id, or by its registration or rescue code (`elevator_code`)."""

    elevator = serializers.PrimaryKeyRelatedField(queryset=Elevator.objects.none(), required=False)
    elevator_code = serializers.CharField(max_length=20, required=False)
    source = serializers.ChoiceField(choices=FaultSource.choices)
    kind = serializers.ChoiceField(choices=FaultKind.choices)
    cause = serializers.ChoiceField(choices=FaultCause.choices, default=FaultCause.UNKNOWN)
    reported_at = serializers.DateTimeField()
    description = serializers.CharField(required=False, allow_blank=True, default="")
    trapped_people = serializers.IntegerField(min_value=0, max_value=100, default=0)
    external_ref = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")  # absent when the OpenAPI schema is generated
        self.user = getattr(request, "user", None)
        if self.user is not None:
            self.fields["elevator"].queryset = access.elevators_to_report_for(self.user)

    def validate(self, data):
        code = data.pop("elevator_code", "")
        if "elevator" not in data:
            if not code:
                raise ValidationError({"elevator": ["请提供电梯ID或注册代码/救援识别码（elevator_code）。"]})
            data["elevator"] = selectors.elevator_for_code(user=self.user, code=code)
            if data["elevator"] is None:
                raise ValidationError({"elevator_code": [f"未找到代码为“{code}”的电梯，或该电梯不在您的管辖范围内。"]})
        return data


class TimingsSerializer(serializers.Serializer):
    dispatched_at = serializers.DateTimeField(required=False)
    arrived_at = serializers.DateTimeField(required=False)
    released_at = serializers.DateTimeField(required=False)
    cause = serializers.ChoiceField(choices=FaultCause.choices, required=False)


class FaultViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = FaultSerializer
    filterset_class = FaultFilterSet

    def get_queryset(self):
        return selectors.fault_list(user=self.request.user)

    def get_serializer_class(self):
        return {"create": FaultReportSerializer, "timings": TimingsSerializer}.get(self.action, FaultSerializer)

    def create(self, request, *args, **kwargs):
        body = FaultReportSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        fault = services.fault_report(user=request.user, **body.validated_data)
        return Response(
            FaultSerializer(fault, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )

    @action(detail=True, methods=["post"])
    def timings(self, request, pk=None):
        """Record rescue times (reported ≤ dispatched ≤ arrived ≤ released, none in the future) and the cause."""
        fault = self.get_object()
        body = TimingsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.fault_update_timings(user=request.user, fault=fault, **body.validated_data)
        return Response(FaultSerializer(fault, context=self.get_serializer_context()).data)
