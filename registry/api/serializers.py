from rest_framework import serializers

from registry.models import District, Elevator, Organization


class DistrictSerializer(serializers.ModelSerializer):
    class Meta:
        model = District
        fields = ["id", "code", "name", "name_en", "level", "parent"]


class OrganizationSerializer(serializers.ModelSerializer):
    district_code = serializers.SlugRelatedField(source="district", slug_field="code", read_only=True)

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "kind",
            "credit_code",
            "licence_no",
            "licence_valid_until",
            "licence_expired",
            "district",
            "district_code",
            "address",
            "contact_phone",
            "is_active",
            "updated_at",
        ]
        read_only_fields = ["licence_expired", "updated_at"]


class ElevatorSerializer(serializers.ModelSerializer):
    district_code = serializers.CharField(source="district.code", read_only=True)
    district_name = serializers.CharField(source="district.name", read_only=True)
    use_unit_name = serializers.CharField(source="use_unit.name", read_only=True, allow_null=True, default=None)
    maintenance_firm_name = serializers.CharField(
        source="maintenance_firm.name", read_only=True, allow_null=True, default=None
    )
    inspection_status = serializers.SerializerMethodField()

    class Meta:
        model = Elevator
        fields = [
            "id",
            "registration_code",
            "rescue_code",
            "use_certificate_no",
            "elevator_type",
            "district",
            "district_code",
            "district_name",
            "address",
            "building_name",
            "building_kind",
            "use_unit",
            "use_unit_name",
            "maintenance_firm",
            "maintenance_firm_name",
            "manufacturer",
            "installer",
            "manufacture_date",
            "commission_date",
            "rated_load_kg",
            "rated_speed_ms",
            "floors",
            "status",
            "maintenance_fund",
            "latitude",
            "longitude",
            "inspection_valid_until",
            "inspection_status",
            "last_maintenance_on",
            "updated_at",
        ]
        # The maintenance firm follows the active contract (maintenance.services sets it; docs/rules.md
        # "Maintenance"): no registry write hands a firm an elevator (issue 14).
        read_only_fields = ["maintenance_firm", "inspection_valid_until", "last_maintenance_on", "updated_at"]

    def get_inspection_status(self, obj) -> str:
        return obj.inspection_status(today=self.context.get("today"))
