"""The incidents API's shapes: an incident as firms' systems and the 96333 platform read it, and what they post."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from maintenance.faults import rules
from maintenance.faults.services import STAMP_STEPS
from maintenance.models import Fault
from rescue.rules import incident_stage


class IncidentSerializer(serializers.ModelSerializer):
    """An entrapment incident with its rescue times; no reporter's name or phone (those stay on the console)."""

    registration_code = serializers.CharField(source="elevator.registration_code", read_only=True)
    rescue_code = serializers.CharField(source="elevator.rescue_code", read_only=True)
    address = serializers.CharField(source="elevator.address", read_only=True)
    district = serializers.CharField(source="elevator.district.code", read_only=True)
    firm_name = serializers.CharField(source="firm.name", read_only=True, allow_null=True, default=None)
    state = serializers.SerializerMethodField(help_text="reported, acknowledged, dispatched, arrived or released")
    arrival_limit_minutes = serializers.SerializerMethodField()
    is_accident = serializers.SerializerMethodField()

    class Meta:
        model = Fault
        fields = [
            "id",
            "elevator",
            "registration_code",
            "rescue_code",
            "address",
            "district",
            "firm",
            "firm_name",
            "state",
            "trapped_people",
            "reports",
            "reported_at",
            "acknowledged_at",
            "dispatched_at",
            "arrived_at",
            "released_at",
            "accident_at",
            "arrival_limit_minutes",
            "is_accident",
        ]
        read_only_fields = fields

    def get_state(self, obj) -> str:
        return incident_stage(obj)[0]

    def get_arrival_limit_minutes(self, obj) -> int:
        return rules.fault_limit_minutes(obj)

    def get_is_accident(self, obj) -> bool:
        return rules.is_accident(obj)


class IncidentReportedSerializer(IncidentSerializer):
    """The answer to a report: the incident, whether this report opened it (`created`) or joined the one already
    open (`joined`), and the report's id (the same id again when a report is replayed with its external_ref)."""

    created = serializers.SerializerMethodField()
    joined = serializers.SerializerMethodField()
    report = serializers.SerializerMethodField()

    class Meta(IncidentSerializer.Meta):
        fields = ["id", "created", "joined", "report", *IncidentSerializer.Meta.fields[1:]]
        read_only_fields = fields

    def get_created(self, obj) -> bool:
        return self.context["joined"].created

    def get_joined(self, obj) -> bool:
        return not self.context["joined"].created

    def get_report(self, obj) -> int:
        return self.context["joined"].report.pk


class IncidentReportSerializer(serializers.Serializer):
    """A report of someone trapped, from a firm's own system or the 96333 platform."""

    elevator = serializers.RegexField(
        r"^(\d{5,6}|\d{20})$",
        help_text="20-digit registration code or 5–6 digit rescue code (救援识别码)",
        error_messages={"invalid": _("请填写20位注册代码或5～6位救援识别码。")},
    )
    reported_at = serializers.DateTimeField(
        required=False, help_text="when the report reached your system; now if left out"
    )
    trapped_people = serializers.IntegerField(min_value=0, max_value=50, default=0)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    external_ref = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=48,
        help_text="your system's id of the report: a replay with the same id creates nothing new",
    )


class StampSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=list(STAMP_STEPS), help_text="dispatched, arrived or released")
