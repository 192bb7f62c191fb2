"""`/api/v1/incidents/`: the rescue loop for firms' own systems and the 96333 platform (plan §2(10): one platform,
every channel; docs/rules.md "Entrapment rescue loop").

POST reports someone trapped through rescue.services.incident_report (it opens the elevator's incident and
dispatches it, or joins the one open); `acknowledge` (接警) and `stamp` (dispatched, arrived, released) call the
rescue services, so the API keeps the console's rules and messages; their errors become 400/403 through the
project's exception handler. Reads are scoped by rescue.selectors.incidents_for: an incident out of scope is 404.
"""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts import access
from maintenance.faults.selectors import elevator_for_code
from rescue import services
from rescue.choices import ReportSource
from rescue.selectors import incidents_for, open_incident_q

from .serializers import IncidentReportedSerializer, IncidentReportSerializer, IncidentSerializer, StampSerializer


class UsesRescueLoop(permissions.BasePermission):
    """The 96333 centre, regulators, firms and use units (access.can_view_rescue_console); others get 403."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and access.can_view_rescue_console(request.user))


def _namespaced(user, external_ref: str) -> str:
    """A report's id is its sender's: one firm's "123" is not another's, so neither can replay the other's report
    (nor learn of its incident by guessing ids)."""
    if not external_ref:
        return ""
    owner = f"o{user.organization_id}" if getattr(user, "organization_id", None) else f"u{user.pk}"
    return f"{owner}:{external_ref}"


class IncidentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = IncidentSerializer
    permission_classes = [permissions.IsAuthenticated, UsesRescueLoop]
    filterset_class = None

    def get_queryset(self):
        qs = incidents_for(self.request.user).order_by("-reported_at", "-pk")
        if self.request.query_params.get("open") in ("true", "1"):
            qs = qs.filter(open_incident_q(now=timezone.now()))
        return qs

    def get_serializer_class(self):
        return {"create": IncidentReportSerializer, "stamp": StampSerializer}.get(self.action, IncidentSerializer)

    @extend_schema(
        parameters=[OpenApiParameter("open", bool, description="only incidents still open (not released)")],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=IncidentReportSerializer,
        responses={
            201: OpenApiResponse(IncidentReportedSerializer, description="the report opened a new incident"),
            200: OpenApiResponse(IncidentReportedSerializer, description="joined the open incident, or a replay"),
        },
    )
    def create(self, request, *args, **kwargs):
        """Someone is trapped: open the elevator's incident (and alert the firm on call and the use unit) or join
        the one already open. A replay with the same external_ref returns the first answer and creates nothing."""
        body = IncidentReportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        elevator = elevator_for_code(user=request.user, code=data["elevator"])
        if elevator is None:
            raise ValidationError(
                {
                    "elevator": _("未找到代码为“%(code)s”的电梯，或该电梯不在您的管辖范围内。")
                    % {"code": data["elevator"]}
                }
            )
        joined = services.incident_report(
            elevator=elevator,
            source=ReportSource.API,
            # To the second, as the rescue stamps are: a stamp in the report's own second stays in order.
            reported_at=data.get("reported_at") or timezone.now().replace(microsecond=0),
            user=request.user,
            note=data["note"],
            trapped_people=data["trapped_people"],
            external_ref=_namespaced(request.user, data["external_ref"]),
        )
        if joined.fault.elevator_id != elevator.pk:
            raise ValidationError({"external_ref": _("该外部编号已用于另一部电梯的报告。")})
        fault = self.get_queryset().get(pk=joined.fault.pk)
        return Response(
            IncidentReportedSerializer(fault, context={**self.get_serializer_context(), "joined": joined}).data,
            status=status.HTTP_201_CREATED if joined.created else status.HTTP_200_OK,
        )

    @extend_schema(request=None, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """The firm takes the alarm (接警), once; a second call is 400 and says when it was taken."""
        fault = self.get_object()
        services.incident_acknowledge(user=request.user, fault=fault)
        return Response(IncidentSerializer(self.get_queryset().get(pk=fault.pk)).data)

    @extend_schema(request=StampSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def stamp(self, request, pk=None):
        """Stamp now as dispatched, arrived or released (in that order, each once)."""
        fault = self.get_object()
        body = StampSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.incident_stamp(user=request.user, fault=fault, step=body.validated_data["step"])
        return Response(IncidentSerializer(self.get_queryset().get(pk=fault.pk)).data)
