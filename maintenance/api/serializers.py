import base64
import binascii

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from elevator_portal.api import DateTimeField
from elevator_portal.filters import datetime_problem
from maintenance import services
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
        fields = [
            "id",
            "elevator",
            "registration_code",
            "firm",
            "tier",
            "started_at",
            "ended_at",
            "workers",
            "signed_by",
            "note",
            "status",
            "confirmed_at",
            "corrects",
            "items",
            "attachments",
            "created_at",
        ]
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
    started_at = DateTimeField()
    ended_at = DateTimeField()
    workers = serializers.PrimaryKeyRelatedField(many=True, queryset=Person.objects.all())
    signed_by = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all())
    items = ItemInputSerializer(many=True, required=False, default=list)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    corrects = serializers.PrimaryKeyRelatedField(
        queryset=MaintenanceRecord.objects.all(), required=False, allow_null=True
    )
    attachments = FileInputSerializer(many=True, required=False, default=list)

    def validate_elevator(self, value):
        value = value.strip()
        elevator = services.elevators_by_reference([value]).get(value)
        if elevator is None:
            raise serializers.ValidationError(_("找不到电梯“%(v)s”。") % {"v": value})
        return elevator


def decode_attachments(files) -> list[services.UploadedFile]:
    """JSON attachments ({name, content_base64}) as the files the services take."""
    decoded = []
    for f in files:
        try:
            decoded.append(
                services.UploadedFile(name=f["name"], data=base64.b64decode(f["content_base64"], validate=True))
            )
        except (binascii.Error, ValueError):
            raise DjangoValidationError(
                {"attachments": _("附件“%(name)s”不是有效的base64编码。") % {"name": f["name"]}}
            ) from None
    return decoded


def _datetime(value):
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None or datetime_problem(parsed):  # an offset beyond ±15:59 or a year the database cannot take
        raise ValueError
    # As DRF's DateTimeField: a time without an offset is in the portal's time zone.
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _integer_id(value) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value)
    raise ValueError


def _text(value) -> str:
    if not isinstance(value, str) or "\x00" in value:  # PostgreSQL cannot store NUL
        raise ValueError
    return value


def _reference(value) -> str:
    value = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not value or "\x00" in value:
        raise ValueError
    return value


def _ids(value) -> list[int]:
    if not isinstance(value, list):
        raise ValueError
    return [_integer_id(v) for v in value]


def _checklist(value) -> dict[int, tuple[str, str]]:
    if not isinstance(value, list):
        raise ValueError
    results = {}
    for entry in value:
        note = entry.get("note") or ""
        result = entry["result"]
        if type(result) is not str or type(note) is not str or len(note) > 255 or "\x00" in note:
            raise ValueError
        results[_integer_id(entry["item"])] = (result, note)
    return results


def _files(value) -> list[dict]:
    if not isinstance(value, list) or not all(
        isinstance(f, dict) and isinstance(f.get("name"), str) and isinstance(f.get("content_base64"), str)
        for f in value
    ):
        raise ValueError
    return value


_BAD_TIME = gettext_lazy("日期时间格式错误，请使用ISO 8601格式，例如2026-05-01T09:30:00+08:00。")
# (field, conversion, message when it fails, required, default): the fields of RecordInputSerializer.
BULK_RECORD_FIELDS = [
    ("elevator", _reference, gettext_lazy("请填写电梯注册代码、应急救援识别码或编号。"), True, None),
    ("tier", _text, gettext_lazy("请填写维保类别。"), True, None),
    ("started_at", _datetime, _BAD_TIME, True, None),
    ("ended_at", _datetime, _BAD_TIME, True, None),
    ("workers", _ids, gettext_lazy("请填写维保人员编号的列表。"), True, None),
    ("signed_by", _integer_id, gettext_lazy("请填写签字人员的编号。"), True, None),
    (
        "items",
        _checklist,
        gettext_lazy(
            "维保项目应为列表，每项包含item（项目编号）、result（结果）和可选的note（不超过255个字符的备注）。"
        ),
        False,
        {},
    ),
    ("note", _text, gettext_lazy("维保说明应为文本。"), False, ""),
    ("corrects", _integer_id, gettext_lazy("请填写被更正记录的编号。"), False, None),
    (
        "attachments",
        _files,
        gettext_lazy("附件应为列表，每项包含name（文件名）和content_base64（base64编码的内容）。"),
        False,
        [],
    ),
]


def bulk_record_input(item) -> dict:
    """One record of a bulk upload in the form services.bulk_upload takes.

    The fields of RecordInputSerializer, checked for shape and type only; the references (elevator, workers,
    signed_by, corrects) stay as sent, for the service to resolve for the whole batch at once. Plain Python rather
    than a serializer: DRF's fields cost most of a millisecond per record with its checklist, several times the
    budget of the bulk target (5,000 records per second on two cores). Raises a ValidationError naming every bad
    field.
    """
    if not isinstance(item, dict):
        raise DjangoValidationError({"non_field_errors": [_("每条记录应为JSON对象。")]})
    data, errors = {}, {}
    for name, convert, message, required, default in BULK_RECORD_FIELDS:
        value = item.get(name)
        if value is None:
            if required:
                errors[name] = [_("该字段是必填项。")]
            data[name] = default
            continue
        try:
            data[name] = convert(value)
        except (TypeError, ValueError, KeyError, AttributeError):
            errors[name] = [str(message)]
    if errors:
        raise DjangoValidationError(errors)
    data["attachments"] = decode_attachments(data["attachments"])
    return data


class ContractSerializer(serializers.ModelSerializer):
    use_unit = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.filter(kind="use_unit"))
    firm = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.filter(kind="maintenance"))
    # Read from the view's prefetch of the elevators' ids (one query for the page, not one per contract).
    elevators = serializers.PrimaryKeyRelatedField(many=True, queryset=Elevator.objects.all())

    class Meta:
        model = MaintenanceContract
        fields = ["id", "number", "use_unit", "firm", "starts_on", "ends_on", "status", "elevators", "created_at"]
        read_only_fields = ["status", "created_at"]
