"""Preparedness API: elevator safety liability insurance (plan §2(12)).

- `/api/v1/insurance-policies/`: list, retrieve, create, update. Covered elevators are given and shown as
  **registration codes** (the 20-digit 注册代码 every party already knows, as in the import file), not ids; a code
  the user may not see is "not found", one of another use unit is refused by the service with its reason. The scan
  of the policy is uploaded on its page; here it is only a link (`document_url`, permission-checked).
- `/api/v1/insurance-claims/`: list, retrieve, create; `POST .../<id>/status/` records the insurer's answer.
- `/api/v1/insurance-coverage/`: the coverage rate by district of the user's scope, read-only.

Who sees and writes what is accounts.access (insurance_policies_for, insurance_claims_for, can_manage_preparedness):
the use units and regulators; everyone else gets 403. Writes go through preparedness.services.insurance, whose
ValidationError becomes a 400 (elevator_portal.api.exception_handler).
"""

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from accounts import access
from maintenance.models import Fault
from registry.choices import OrganizationKind
from registry.models import Organization
from rescue.models import Accident

from ..choices import ClaimStatus
from ..forms.insurance import ClaimFilterSet, PolicyFilterSet
from ..models import InsuranceClaim, InsurancePolicy
from ..selectors import insurance as selectors
from ..services import insurance as services


class KeepsInsurance(permissions.BasePermission):
    """Use units and regulators (access.can_manage_preparedness without a use unit); others get 403."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and access.can_manage_preparedness(request.user))


class _ScopedCodes(serializers.SlugRelatedField):
    """Elevators by registration code, among those the request's user may see."""

    def get_queryset(self):
        return access.elevators_for(self.context["request"].user)


class _ScopedUseUnits(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return access.preparedness_use_units_for(
            self.context["request"].user, Organization.objects.filter(kind=OrganizationKind.USE_UNIT)
        )


class InsurancePolicySerializer(serializers.ModelSerializer):
    """A policy. `elevators`: the registration codes of the elevators covered (the insured's own, at least one)."""

    insured = _ScopedUseUnits(help_text="the insured use unit's id")
    insured_name = serializers.CharField(source="insured.name", read_only=True)
    elevators = _ScopedCodes(
        many=True, slug_field="registration_code", help_text="registration codes (注册代码) of the elevators covered"
    )
    in_force = serializers.SerializerMethodField()
    document_url = serializers.SerializerMethodField()

    class Meta:
        model = InsurancePolicy
        fields = [
            "id",
            "insurer",
            "policy_no",
            "insured",
            "insured_name",
            "elevators",
            "cover_per_person",
            "cover_per_accident",
            "starts_on",
            "ends_on",
            "in_force",
            "document_url",
        ]
        # The number's uniqueness is the service's (a clear message on policy_no), not DRF's generic one.
        validators = []

    def get_in_force(self, obj) -> bool:
        return obj.in_force_on(timezone.localdate())

    def get_document_url(self, obj) -> str | None:
        return reverse("preparedness:policy_document", args=[obj.pk]) if obj.document else None

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["insured"].read_only = True  # another use unit's policy is a new registration
        return fields


class InsuranceClaimSerializer(serializers.ModelSerializer):
    """A claim. `elevator`: the registration code of one elevator the policy covers."""

    policy = serializers.PrimaryKeyRelatedField(queryset=InsurancePolicy.objects.none())
    elevator = _ScopedCodes(slug_field="registration_code")
    fault = serializers.PrimaryKeyRelatedField(queryset=Fault.objects.none(), required=False, allow_null=True)
    accident = serializers.PrimaryKeyRelatedField(queryset=Accident.objects.none(), required=False, allow_null=True)

    class Meta:
        model = InsuranceClaim
        fields = [
            "id",
            "policy",
            "elevator",
            "fault",
            "accident",
            "occurred_on",
            "claimed_on",
            "amount",
            "status",
            "paid_amount",
            "note",
        ]
        read_only_fields = ["status", "paid_amount"]

    def get_fields(self):
        fields = super().get_fields()
        user = self.context["request"].user
        fields["policy"].queryset = access.insurance_policies_for(user)
        fields["fault"].queryset = access.faults_for(user)
        fields["accident"].queryset = Accident.objects.filter(elevator__in=access.elevators_for(user))
        return fields


class InsuranceClaimStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[c for c in ClaimStatus.choices if c[0] != ClaimStatus.FILED])
    paid_amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class InsurancePolicyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = InsurancePolicySerializer
    permission_classes = [permissions.IsAuthenticated, KeepsInsurance]
    filterset_class = PolicyFilterSet

    def get_queryset(self):
        # The page of policies, then the codes of their elevators: two queries whatever the page's size.
        return selectors.policy_list(user=self.request.user).prefetch_related("elevators")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.policy_register(user=self.request.user, **data)

    def perform_update(self, serializer):
        policy = serializer.instance
        data = {
            "insurer": policy.insurer,
            "policy_no": policy.policy_no,
            "elevators": list(policy.elevators.all()),
            "cover_per_person": policy.cover_per_person,
            "cover_per_accident": policy.cover_per_accident,
            "starts_on": policy.starts_on,
            "ends_on": policy.ends_on,
        }
        data.update(serializer.validated_data)
        data.pop("insured", None)
        services.policy_update(user=self.request.user, policy=policy, **data)
        serializer.instance = self.get_queryset().get(pk=policy.pk)


class InsuranceClaimViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = InsuranceClaimSerializer
    permission_classes = [permissions.IsAuthenticated, KeepsInsurance]
    filterset_class = ClaimFilterSet

    def get_queryset(self):
        return selectors.claim_list(user=self.request.user)

    def get_serializer_class(self):
        return InsuranceClaimStatusSerializer if self.action == "status" else InsuranceClaimSerializer

    def perform_create(self, serializer):
        serializer.instance = services.claim_file(user=self.request.user, **serializer.validated_data)

    @extend_schema(request=InsuranceClaimStatusSerializer, responses=InsuranceClaimSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """Record the insurer's answer: accepted, paid (with paid_amount ≤ amount) or rejected (with a note)."""
        claim = self.get_object()
        body = InsuranceClaimStatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        claim = services.claim_update_status(user=request.user, claim=claim, **body.validated_data)
        return Response(InsuranceClaimSerializer(claim, context=self.get_serializer_context()).data)


class InsuranceCoverageRowSerializer(serializers.Serializer):
    district = serializers.CharField(allow_null=True, help_text="division code; null for the total")
    district_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    in_use = serializers.IntegerField()
    insured = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True, help_text="insured / in use; null when none is in use")


class InsuranceCoverageSerializer(serializers.Serializer):
    day = serializers.DateField()
    districts = InsuranceCoverageRowSerializer(many=True)
    total = InsuranceCoverageRowSerializer()


def _coverage_row(row) -> dict:
    d = row.district
    return {
        "district": d.code if d else None,
        "district_id": d.pk if d else None,
        "name": d.name if d else "合计",
        "in_use": row.in_use,
        "insured": row.insured,
        "rate": row.rate,
    }


class InsuranceCoverageViewSet(viewsets.ViewSet):
    """Elevators in use, those insured today and the rate, by district of the user's scope, with the total
    (the same figures as the dashboard and the regulators' list of elevators without cover)."""

    permission_classes = [permissions.IsAuthenticated, KeepsInsurance]

    @extend_schema(responses=InsuranceCoverageSerializer)
    def list(self, request):
        today = timezone.localdate()
        table = selectors.coverage_by_district(user=request.user, today=today)
        return Response(
            {
                "day": today,
                "districts": [_coverage_row(r) for r in table.rows],
                "total": _coverage_row(table.total),
            }
        )


router = SimpleRouter()
router.register("insurance-policies", InsurancePolicyViewSet, basename="insurance-policy")
router.register("insurance-claims", InsuranceClaimViewSet, basename="insurance-claim")
router.register("insurance-coverage", InsuranceCoverageViewSet, basename="insurance-coverage")

urlpatterns = router.urls
