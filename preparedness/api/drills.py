"""`/api/v1/emergency-plans/` and `/api/v1/drills/`: emergency plans (plan §2(7)) and drills (TSG T5002-2017) for
use units', firms' and regulators' own systems. Reads are scoped by accounts.access (out of scope is 404); writes call
preparedness.services.drills, whose ValidationError/PermissionDenied become 400/403 (elevator_portal.api)."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from accounts import access
from elevator_portal.api import JSONParser
from registry.choices import OrganizationKind
from registry.models import Elevator, Organization

from ..choices import DrillScenario
from ..forms.drills import DrillFilterSet, EmergencyPlanFilterSet
from ..models import Drill, EmergencyPlan
from ..selectors.drills import drill_list, plan_list
from ..services import drills as services


class UsesPreparedness(permissions.BasePermission):
    """Use units, maintenance firms and regulators (access.can_view_preparedness); others get 403."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and access.can_view_preparedness(request.user))


def _uploads(files, field: str) -> list[services.Upload]:
    """The files as the services take them; one over the cap is refused before it is read into memory."""
    too_big = [f.name for f in files if f.size > settings.PREPAREDNESS_FILE_MAX_BYTES]
    if too_big:
        mb = settings.PREPAREDNESS_FILE_MAX_BYTES // 2**20
        raise ValidationError(
            {field: [_("文件“%(name)s”过大，最大%(mb)dMB。") % {"name": n, "mb": mb} for n in too_big]}
        )
    return [services.Upload(name=f.name, data=f.read()) for f in files]


@extend_schema_field(OpenApiTypes.INT)
class ScopedElevators(serializers.PrimaryKeyRelatedField):
    """Elevator ids among those the user may see (others are "does not exist", naming no elevator)."""

    def get_queryset(self):
        return access.elevators_for(self.context["request"].user, Elevator.objects.all())


@extend_schema_field(OpenApiTypes.INT)
class ScopedUseUnit(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        user = self.context["request"].user
        return access.preparedness_use_units_for(user, Organization.objects.filter(kind=OrganizationKind.USE_UNIT))


class EmergencyPlanSerializer(serializers.ModelSerializer):
    use_unit_name = serializers.CharField(source="use_unit.name", read_only=True)
    elevators = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    document_url = serializers.SerializerMethodField()

    class Meta:
        model = EmergencyPlan
        fields = ["id", "use_unit", "use_unit_name", "title", "version", "adopted_on", "elevators", "document_url"]
        read_only_fields = fields

    def get_document_url(self, obj) -> str:
        return reverse("preparedness:plan_document", args=[obj.pk])


class EmergencyPlanInputSerializer(serializers.Serializer):
    use_unit = ScopedUseUnit(required=False, help_text="the use unit; a use unit's user may leave it out (its own)")
    title = serializers.CharField(max_length=200)
    version = serializers.CharField(max_length=20)
    adopted_on = serializers.DateField()
    document = serializers.FileField(help_text="the plan as a PDF, up to PREPAREDNESS_FILE_MAX_BYTES")
    elevators = ScopedElevators(many=True)


class EmergencyPlanViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """A use unit's emergency plans, one row per version; filed by the use unit or a regulator of its scope."""

    serializer_class = EmergencyPlanSerializer
    permission_classes = [permissions.IsAuthenticated, UsesPreparedness]
    filterset_class = EmergencyPlanFilterSet
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return plan_list(user=self.request.user).prefetch_related("elevators")

    @extend_schema(
        request={"multipart/form-data": EmergencyPlanInputSerializer}, responses={201: EmergencyPlanSerializer}
    )
    def create(self, request, *args, **kwargs):
        body = EmergencyPlanInputSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        use_unit = data.get("use_unit") or _own_use_unit(request.user)
        plan = services.emergency_plan_file(
            user=request.user,
            use_unit=use_unit,
            title=data["title"],
            version=data["version"],
            adopted_on=data["adopted_on"],
            document=_uploads([data["document"]], "document")[0],
            elevators=data["elevators"],
        )
        plan = self.get_queryset().get(pk=plan.pk)
        return Response(EmergencyPlanSerializer(plan).data, status=status.HTTP_201_CREATED)


def _own_use_unit(user):
    use_unit = access.preparedness_use_units_for(
        user, Organization.objects.filter(kind=OrganizationKind.USE_UNIT, pk=user.organization_id)
    ).first()
    if use_unit is None:
        raise ValidationError({"use_unit": [_("请指定使用单位。")]})
    return use_unit


class DrillSerializer(serializers.ModelSerializer):
    use_unit_name = serializers.CharField(source="use_unit.name", read_only=True)
    firm_name = serializers.CharField(source="firm.name", read_only=True, allow_null=True, default=None)
    elevators = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    photos = serializers.SerializerMethodField()

    class Meta:
        model = Drill
        fields = [
            "id",
            "use_unit",
            "use_unit_name",
            "firm",
            "firm_name",
            "plan",
            "elevators",
            "scenario",
            "status",
            "planned_on",
            "held_on",
            "use_unit_participants",
            "firm_participants",
            "release_minutes",
            "findings",
            "improvements",
            "photos",
        ]
        read_only_fields = fields

    def get_photos(self, obj) -> list[str]:
        return [reverse("preparedness:drill_photo", args=[p.pk]) for p in obj.photos.all()]


class DrillPlanSerializer(serializers.Serializer):
    elevators = ScopedElevators(many=True, help_text="elevators of one use unit, maintained by one firm")
    planned_on = serializers.DateField()
    scenario = serializers.ChoiceField(choices=DrillScenario.choices)
    plan = serializers.PrimaryKeyRelatedField(queryset=EmergencyPlan.objects.all(), required=False, allow_null=True)

    def validate_plan(self, plan):
        if plan is not None and not access.emergency_plans_for(self.context["request"].user).filter(pk=plan.pk):
            raise serializers.ValidationError(_("预案不存在。"))
        return plan

    def validate_elevators(self, elevators):
        if not elevators:
            raise serializers.ValidationError(_("请至少选择一台电梯。"))
        if len({e.use_unit_id for e in elevators}) > 1:
            raise serializers.ValidationError(_("一次演练只能包含同一使用单位的电梯，请分别计划。"))
        return elevators


class DrillRecordSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    use_unit_participants = serializers.CharField()
    firm_participants = serializers.CharField()
    release_minutes = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=24 * 60)
    findings = serializers.CharField(required=False, allow_blank=True, default="")
    improvements = serializers.CharField(required=False, allow_blank=True, default="")
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, help_text="JPEG or PNG photos (multipart)"
    )


class DrillCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=100)


class DrillViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Drills: POST plans one (the firm is the elevators' maintenance firm); `record` and `cancel` act on one."""

    serializer_class = DrillSerializer
    permission_classes = [permissions.IsAuthenticated, UsesPreparedness]
    filterset_class = DrillFilterSet
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return drill_list(user=self.request.user).prefetch_related("photos")

    @extend_schema(request=DrillPlanSerializer, responses={201: DrillSerializer})
    def create(self, request, *args, **kwargs):
        body = DrillPlanSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        drill = services.drill_plan(
            user=request.user,
            use_unit=data["elevators"][0].use_unit,
            planned_on=data["planned_on"],
            scenario=data["scenario"],
            elevators=data["elevators"],
            plan=data.get("plan"),
        )
        return Response(DrillSerializer(self.get_queryset().get(pk=drill.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": DrillRecordSerializer, "application/json": DrillRecordSerializer},
        responses={200: DrillSerializer},
    )
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        """Record the planned drill as held (a drill recorded twice at once is recorded once; the second is a 400)."""
        drill = self.get_object()
        data = request.data
        if hasattr(data, "getlist"):
            data = {k: data.get(k) for k in data.keys() if k != "photos"} | {"photos": request.FILES.getlist("photos")}
        body = DrillRecordSerializer(data=data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        services.drill_record(
            user=request.user,
            drill=drill,
            held_on=values["held_on"],
            use_unit_participants=values["use_unit_participants"],
            firm_participants=values["firm_participants"],
            release_minutes=values.get("release_minutes"),
            findings=values["findings"],
            improvements=values["improvements"],
            photos=_uploads(values["photos"], "photos"),
        )
        return Response(DrillSerializer(self.get_queryset().get(pk=drill.pk)).data)

    @extend_schema(request=DrillCancelSerializer, responses={200: DrillSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        drill = self.get_object()
        body = DrillCancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.drill_cancel(user=request.user, drill=drill, reason=body.validated_data["reason"])
        return Response(DrillSerializer(self.get_queryset().get(pk=drill.pk)).data)


router = SimpleRouter()
router.register("emergency-plans", EmergencyPlanViewSet, basename="emergency-plan")
router.register("drills", DrillViewSet, basename="drill")

urlpatterns = router.urls
