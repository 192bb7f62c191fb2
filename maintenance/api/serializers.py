from rest_framework import serializers

from maintenance.choices import ItemResult, Tier
from maintenance.models import Attachment, MaintenanceContract, MaintenanceRecord, RecordItem
from registry.models import Elevator, Organization, Person


class RecordItemSerializer(serializers.ModelSerializer):
    title = serializers.CharField(source="item.title", read_only=True)

    class Meta:
        model = RecordItem
        fields = ["item", "title", "result", "note"]


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "kind", "original_name", "size", "sha256", "url"]

    def get_url(self, obj) -> str:
        from django.urls import reverse

        return reverse("maintenance:attachment", args=[obj.pk])


class MaintenanceRecordSerializer(serializers.ModelSerializer):
    registration_code = serializers.CharField(source="elevator.registration_code", read_only=True)
    items = RecordItemSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = MaintenanceRecord
        fields = ["id", "elevator", "registration_code", "firm", "tier", "started_at", "ended_at", "workers",
                  "signed_by", "note", "status", "confirmed_at", "corrects", "items", "attachments", "created_at"]
        read_only_fields = fields


class ItemInputSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    result = serializers.ChoiceField(choices=ItemResult.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class FileInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    content_base64 = serializers.CharField()


class RecordInputSerializer(serializers.Serializer):
    """One record as uploaded by a firm's system or the API (JSON or multipart)."""

    elevator = serializers.CharField(help_text="registration code, rescue code or id")
    tier = serializers.ChoiceField(choices=Tier.choices)
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField()
    workers = serializers.PrimaryKeyRelatedField(many=True, queryset=Person.objects.all())
    signed_by = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all())
    items = ItemInputSerializer(many=True, required=False, default=list)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    corrects = serializers.PrimaryKeyRelatedField(queryset=MaintenanceRecord.objects.all(), required=False,
                                                  allow_null=True)
    attachments = FileInputSerializer(many=True, required=False, default=list)

    def validate_elevator(self, value):
        value = value.strip()
        qs = Elevator.objects.all()
        elevator = (qs.filter(registration_code=value).first() or qs.filter(rescue_code=value).first()
                    or (qs.filter(pk=int(value)).first() if value.isdigit() and len(value) < 10 else None))
        if elevator is None:
            raise serializers.ValidationError(f"找不到电梯“{value}”。")
        return elevator


class ContractSerializer(serializers.ModelSerializer):
    use_unit = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.filter(kind="use_unit"))
    firm = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.filter(kind="maintenance"))
    elevators = serializers.PrimaryKeyRelatedField(many=True, queryset=Elevator.objects.all())

    class Meta:
        model = MaintenanceContract
        fields = ["id", "number", "use_unit", "firm", "starts_on", "ends_on", "status", "elevators", "created_at"]
        read_only_fields = ["status", "created_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["elevators"] = [c.elevator_id for c in instance.coverage.all()]
        return data


