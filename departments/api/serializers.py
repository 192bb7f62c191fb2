from rest_framework import serializers

from departments.models import Department, RoutingRule


class LeadCategorySerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="get_category_display", read_only=True)

    class Meta:
        model = RoutingRule
        fields = ["category", "label", "clause"]


class DepartmentSerializer(serializers.ModelSerializer):
    """Public information only: no supervisor (a person) and no internal links."""

    district_code = serializers.CharField(source="district.code", read_only=True, allow_null=True, default=None)
    district_name = serializers.CharField(source="district.name", read_only=True, allow_null=True, default=None)
    lead_categories = LeadCategorySerializer(source="routing_rules", many=True, read_only=True)
    sector_building_kinds = serializers.SlugRelatedField(
        source="sector_rules", slug_field="building_kind", many=True, read_only=True
    )

    class Meta:
        model = Department
        fields = [
            "id",
            "code",
            "name",
            "district",
            "district_code",
            "district_name",
            "duties",
            "public_phone",
            "lead_categories",
            "sector_building_kinds",
        ]
        read_only_fields = fields
