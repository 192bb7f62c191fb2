"""`/api/v1/safety-managers/` and `/api/v1/use-certificates/` (plan §2(7); 特种设备安全法 §33; TSG 08-2017).

Reads are scoped by accounts.access (people_for for the managers; compliance_elevators_for for the certificates);
writes call preparedness.services.safety / certificates, so the API keeps the pages' rules and messages, and their
ValidationError/PermissionDenied become 400/403 through the project's exception handler.
"""

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from accounts import access
from accounts.models import User
from registry.models import Elevator, Organization, Person

from ..selectors.safety import certificate_elevators, safety_managers_for
from ..services import certificates as certificate_services
from ..services import safety as safety_services


class ManagesPreparedness(permissions.BasePermission):
    """The use units and regulators (access.can_manage_preparedness); others get 403."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and access.can_manage_preparedness(request.user))


class SafetyManagerSerializer(serializers.ModelSerializer):
    use_unit = serializers.PrimaryKeyRelatedField(source="organization", queryset=Organization.objects.all())
    login = serializers.PrimaryKeyRelatedField(
        source="user", queryset=User.objects.all(), allow_null=True, required=False
    )
    # Written as ids; read back from the person's assignments (to_representation).
    elevators = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Elevator.objects.all(), required=False, write_only=True
    )
    certificate_valid_today = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = [
            "id",
            "use_unit",
            "name",
            "certificate_no",
            "certificate_valid_until",
            "certificate_valid_today",
            "phone",
            "login",
            "elevators",
        ]
        # The services check uniqueness with their own messages (and the constraint stays the last word).
        extra_kwargs = {"certificate_no": {"validators": []}}

    def get_certificate_valid_today(self, person) -> bool:
        return person.certificate_valid_on(timezone.localdate())

    def to_representation(self, person):
        data = super().to_representation(person)
        data["elevators"] = sorted(a.elevator_id for a in person.safety_assignments.all())
        return data


class SafetyManagerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The 安全管理员 designations: list/retrieve in scope; create and update through
    preparedness.services.safety.safety_manager_designate (the certificate must be valid today; `elevators` are ids
    of the use unit's own elevators)."""

    serializer_class = SafetyManagerSerializer
    permission_classes = [permissions.IsAuthenticated, ManagesPreparedness]
    filterset_class = None

    def get_queryset(self):
        return safety_managers_for(user=self.request.user)

    def _save(self, serializer, person=None):
        data = serializer.validated_data
        use_unit = data.get("organization", person.organization if person else None)
        if person is not None and use_unit.pk != person.organization_id:
            raise serializers.ValidationError({"use_unit": _("不能更改安全管理员所属的使用单位。")})
        if not access.can_manage_preparedness(self.request.user, use_unit):
            raise PermissionDenied(_("您只能管理本单位或本辖区使用单位的安全管理。"))

        def current(name, attr):
            return data[name] if name in data else getattr(person, attr) if person else None

        elevators = data.get("elevators")
        if elevators is None:
            elevators = [a.elevator for a in person.safety_assignments.select_related("elevator")] if person else []
        return safety_services.safety_manager_designate(
            user=self.request.user,
            use_unit=use_unit,
            name=current("name", "name") or "",
            certificate_no=current("certificate_no", "certificate_no") or "",
            certificate_valid_until=current("certificate_valid_until", "certificate_valid_until"),
            phone=current("phone", "phone") or "",
            login=current("user", "user"),
            elevators=elevators,
            person=person,
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        person = self._save(serializer)
        return Response(self.get_serializer(self.get_queryset().get(pk=person.pk)).data, status=201)

    def update(self, request, *args, **kwargs):
        person = self.get_object()
        serializer = self.get_serializer(person, data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        self._save(serializer, person)
        return Response(self.get_serializer(self.get_queryset().get(pk=person.pk)).data)


class UseCertificateSerializer(serializers.ModelSerializer):
    scan = serializers.FileField(write_only=True, required=False, help_text="PDF, JPEG or PNG")
    has_scan = serializers.SerializerMethodField()
    registered = serializers.SerializerMethodField()

    class Meta:
        model = Elevator
        fields = [
            "id",
            "registration_code",
            "status",
            "use_certificate_no",
            "use_certificate_authority",
            "use_certificate_issued_on",
            "has_scan",
            "registered",
            "scan",
        ]
        read_only_fields = ["registration_code", "status"]

    def get_has_scan(self, elevator) -> bool:
        return bool(elevator.use_certificate_scan)

    def get_registered(self, elevator) -> bool:
        return bool(elevator.use_certificate_no)


class UseCertificateViewSet(mixins.ListModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """The 使用登记证 of the elevators in scope (特种设备安全法 §33): list, and PATCH of the number, authority,
    date (and optionally the scan, multipart) through preparedness.services.certificates.use_certificate_record."""

    serializer_class = UseCertificateSerializer
    permission_classes = [permissions.IsAuthenticated, ManagesPreparedness]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    http_method_names = ["get", "patch", "head", "options"]
    filterset_class = None

    def get_queryset(self):
        return certificate_elevators(user=self.request.user)

    @extend_schema(request=UseCertificateSerializer)
    def partial_update(self, request, *args, **kwargs):
        elevator = self.get_object()
        serializer = self.get_serializer(elevator, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        saved = certificate_services.use_certificate_record(
            user=request.user,
            elevator=elevator,
            number=data.get("use_certificate_no", elevator.use_certificate_no),
            authority=data.get("use_certificate_authority", elevator.use_certificate_authority),
            issued_on=data.get("use_certificate_issued_on", elevator.use_certificate_issued_on),
            scan=data.get("scan"),
        )
        return Response(self.get_serializer(saved).data)


router = SimpleRouter()
router.register("safety-managers", SafetyManagerViewSet, basename="safety-manager")
router.register("use-certificates", UseCertificateViewSet, basename="use-certificate")
urlpatterns = router.urls
