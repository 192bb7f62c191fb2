import hashlib

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from accounts import access
from elevator_portal.api import JSONParser, json_field
from maintenance import services
from maintenance.filtersets import MaintenanceRecordFilterSet
from maintenance.selectors import contract_list
from registry.models import Elevator

from .serializers import (
    ContractSerializer,
    MaintenanceRecordSerializer,
    RecordInputSerializer,
    bulk_record_input,
    decode_attachments,
)


def record_kwargs(data, files=()) -> dict:
    """Turn one validated input item into record_create's keyword arguments."""
    attachments = decode_attachments(data.get("attachments", []))
    # The size first: a file over the limit (on disk, elevator_portal.uploads) is never read into memory.
    too_big = [f.name for f in files if f.size > settings.ATTACHMENT_MAX_BYTES]
    if too_big:
        mb = settings.ATTACHMENT_MAX_BYTES // 2**20
        raise ValidationError(
            {"attachments": [_("附件“%(name)s”过大，最大%(mb)dMB。") % {"name": n, "mb": mb} for n in too_big]}
        )
    attachments += [services.UploadedFile(name=f.name, data=f.read()) for f in files]
    return {
        "elevator": data["elevator"],
        "tier": data["tier"],
        "started_at": data["started_at"],
        "ended_at": data["ended_at"],
        "workers": list(data["workers"]),
        "signed_by": data["signed_by"],
        "items": {i["item"]: (i["result"], i.get("note", "")) for i in data.get("items", [])},
        "note": data.get("note", ""),
        "corrects": data.get("corrects"),
        "attachments": attachments,
    }


def _file_fingerprint(upload) -> list:
    """An uploaded file's name, size and digest, for the idempotency key's request hash (read in chunks)."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return [upload.name, upload.size, digest.hexdigest()]


class MaintenanceRecordViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Paperless maintenance records: a firm sees and writes only its own, for elevators under its contracts."""

    serializer_class = MaintenanceRecordSerializer
    filterset_class = MaintenanceRecordFilterSet
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return (
            access.maintenance_records_for(self.request.user)
            .select_related("elevator")
            .prefetch_related("workers", "items__item", "attachments")
            .order_by("-started_at", "-id")
        )

    def get_serializer_class(self):
        return RecordInputSerializer if self.action == "create" else MaintenanceRecordSerializer

    @extend_schema(
        request=RecordInputSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description=(
                    "optional, 1-100 characters: a retry with the same key and body returns the first record "
                    "(201, same id) and creates nothing; the same key with another body (or a bulk upload's key) "
                    "is a 409"
                ),
            )
        ],
        responses={
            201: MaintenanceRecordSerializer,
            409: OpenApiResponse(
                description="the Idempotency-Key was used for another body, or its record was withdrawn"
            ),
        },
    )
    def create(self, request, *args, **kwargs):
        data = request.data
        if hasattr(data, "getlist"):  # multipart: lists are repeated keys, items a JSON string
            data = {k: data.get(k) for k in data.keys() if k not in ("workers", "items", "attachments")} | {
                "workers": data.getlist("workers"),
                "items": json_field(data.get("items"), field="items", default=[]),
            }
        files = request.FILES.getlist("attachments")
        key = request.headers.get("Idempotency-Key", "")
        try:
            # A retry is answered before its body is checked again (issue 14): the first record, or 409.
            digest = services.record_request_hash([data, *map(_file_fingerprint, files)]) if key else ""
            record = services.record_replayed(user=request.user, key=key, request_hash=digest)
            if record is None:
                body = RecordInputSerializer(data=data)
                body.is_valid(raise_exception=True)
                kwargs = record_kwargs(body.validated_data, files=files)
                record = services.record_create(user=request.user, **kwargs, idempotency_key=key, request_hash=digest)
        except services.IdempotencyConflict as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(MaintenanceRecordSerializer(record).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.record_delete(user=self.request.user, record=instance)

    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        record = self.get_object()
        record = services.record_confirm(user=request.user, record=record)
        return Response(MaintenanceRecordSerializer(record).data)

    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        """All-or-nothing batch from a firm's own system; send an Idempotency-Key header (retries are safe)."""
        try:
            code, payload = services.bulk_upload(
                user=request.user,
                key=request.headers.get("Idempotency-Key", ""),
                payload=request.data,
                parse_item=bulk_record_input,
            )
        except DjangoPermissionDenied as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        return Response(payload, status=code)


class ContractViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ContractSerializer

    def get_queryset(self):
        return contract_list(user=self.request.user).prefetch_related(
            Prefetch("elevators", queryset=Elevator.objects.only("pk").order_by("pk"))
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        if not access.can_manage_contracts(self.request.user, data["use_unit"]):
            raise ValidationError({"use_unit": ["只能为本单位登记维保合同。"]})
        serializer.instance = services.contract_create(user=self.request.user, **data)
