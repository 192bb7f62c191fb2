from rest_framework import serializers

from inspections.choices import InspectionResult
from inspections.models import Defect, Inspection, InspectionApplication
from registry.models import Elevator, Organization, Person


class InspectionApplicationSerializer(serializers.ModelSerializer):
    elevator = serializers.PrimaryKeyRelatedField(queryset=Elevator.objects.all())
    agency = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.filter(kind="inspection"))
    registration_code = serializers.CharField(source="elevator.registration_code", read_only=True)
    inspectors = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = InspectionApplication
        fields = [
            "id",
            "elevator",
            "registration_code",
            "kind",
            "agency",
            "wished_from",
            "wished_to",
            "site_contact",
            "site_phone",
            "note",
            "status",
            "reject_reason",
            "scheduled_on",
            "inspectors",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "reject_reason", "scheduled_on", "created_at", "updated_at"]
        validators = []  # the service refuses a second open application, with the plan's wording


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField()


class ScheduleSerializer(serializers.Serializer):
    scheduled_on = serializers.DateField()
    inspectors = serializers.PrimaryKeyRelatedField(many=True, queryset=Person.objects.all())


class DefectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Defect
        fields = ["id", "description", "deadline", "status", "rectification_note", "rectified_at"]
        read_only_fields = ["status", "rectification_note", "rectified_at"]


class InspectionSerializer(serializers.ModelSerializer):
    registration_code = serializers.CharField(source="elevator.registration_code", read_only=True)
    # The elevator's validity now: an older result recorded late leaves it as it was (特种设备安全法 §40).
    elevator_inspection_valid_until = serializers.DateField(source="elevator.inspection_valid_until", read_only=True)
    defects = DefectSerializer(many=True, read_only=True)
    report_url = serializers.SerializerMethodField()

    class Meta:
        model = Inspection
        fields = [
            "id",
            "elevator",
            "registration_code",
            "application",
            "kind",
            "agency",
            "inspectors",
            "inspected_on",
            "result",
            "report_no",
            "report_url",
            "conclusion",
            "valid_until",
            "elevator_inspection_valid_until",
            "corrects_validity",
            "correction_reason",
            "defects",
            "created_at",
        ]

    def get_report_url(self, obj) -> str | None:
        from django.urls import reverse

        return reverse("inspections:report_download", args=[obj.pk]) if obj.report_file else None


class DefectInputSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=500)
    deadline = serializers.DateField()


class InspectionRecordSerializer(serializers.Serializer):
    """Input for recording a result, through the same service as the page."""

    application = serializers.PrimaryKeyRelatedField(queryset=InspectionApplication.objects.all(), required=False)
    elevator = serializers.PrimaryKeyRelatedField(queryset=Elevator.objects.all(), required=False)
    kind = serializers.CharField(required=False)
    inspected_on = serializers.DateField()
    result = serializers.ChoiceField(choices=InspectionResult.choices)
    report_no = serializers.CharField(max_length=64)
    report_file = serializers.FileField(required=False)
    conclusion = serializers.CharField(required=False, allow_blank=True, default="")
    inspectors = serializers.PrimaryKeyRelatedField(many=True, queryset=Person.objects.all())
    defects = DefectInputSerializer(many=True, required=False)
    corrects_validity = serializers.BooleanField(required=False, default=False)
    correction_reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
