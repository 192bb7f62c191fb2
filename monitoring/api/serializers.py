from rest_framework import serializers

from registry.models import RiskFlag


class RiskFlagSerializer(serializers.ModelSerializer):
    """A key-monitoring flag (plan §2(4)); `cleared_on` null means still active."""

    registration_code = serializers.CharField(source="elevator.registration_code", read_only=True)
    district_code = serializers.CharField(source="elevator.district.code", read_only=True)
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = RiskFlag
        fields = [
            "id",
            "elevator",
            "registration_code",
            "district_code",
            "reason",
            "measured",
            "threshold",
            "first_seen",
            "last_seen",
            "cleared_on",
            "is_active",
            "assessment",
            "assessment_note",
        ]
        read_only_fields = fields
