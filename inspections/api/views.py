from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts import access
from inspections import services
from inspections.filtersets import InspectionApplicationFilterSet, InspectionFilterSet
from registry.models import Organization

from .serializers import (
    InspectionApplicationSerializer,
    InspectionRecordSerializer,
    InspectionSerializer,
    RejectSerializer,
    ScheduleSerializer,
)


class InspectionApplicationViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = InspectionApplicationSerializer
    filterset_class = InspectionApplicationFilterSet

    def get_queryset(self):
        return (
            access.inspection_applications_for(self.request.user)
            .select_related("elevator")
            .prefetch_related("inspectors")
            .order_by("-created_at")
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        elevator = data.pop("elevator")
        if not access.elevators_for(self.request.user).filter(pk=elevator.pk).exists():
            raise ValidationError({"elevator": ["无效的电梯。"]})
        serializer.instance = services.application_submit(user=self.request.user, elevator=elevator, **data)

    def _respond(self, application):
        application.refresh_from_db()
        return Response(self.get_serializer(application).data)

    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        application = self.get_object()
        services.application_accept(user=request.user, application=application)
        return self._respond(application)

    @action(detail=True, methods=["post"], serializer_class=RejectSerializer)
    def reject(self, request, pk=None):
        application = self.get_object()
        body = RejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.application_reject(
            user=request.user,
            application=application,
            reason=body.validated_data["reason"],
        )
        return Response(InspectionApplicationSerializer(application, context={"request": request}).data)

    @action(detail=True, methods=["post"], serializer_class=ScheduleSerializer)
    def schedule(self, request, pk=None):
        application = self.get_object()
        body = ScheduleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.application_schedule(user=request.user, application=application, **body.validated_data)
        return Response(InspectionApplicationSerializer(application, context={"request": request}).data)

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        application = self.get_object()
        services.application_cancel(user=request.user, application=application)
        return self._respond(application)


class InspectionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilterSet

    def get_queryset(self):
        return (
            access.inspections_for(self.request.user)
            .select_related("elevator")
            .prefetch_related("inspectors", "defects")
            .order_by("-inspected_on", "-id")
        )

    def get_serializer_class(self):
        return InspectionRecordSerializer if self.action == "create" else InspectionSerializer

    def create(self, request, *args, **kwargs):
        body = InspectionRecordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        application = data.pop("application", None)
        # As on the page: a result is recorded only against an application scheduled with this agency.
        if (
            application is None
            or not access.inspection_applications_for(request.user).filter(pk=application.pk).exists()
        ):
            raise ValidationError({"application": ["请提供本机构已排期的检验申报。"]})
        data.pop("elevator", None)
        data["elevator"], data["kind"] = application.elevator, application.kind
        agency = Organization.objects.filter(pk=request.user.organization_id).first()
        if agency is None:
            raise PermissionDenied()
        inspection = services.inspection_record(user=request.user, agency=agency, application=application, **data)
        return Response(
            InspectionSerializer(inspection, context={"request": request}).data, status=status.HTTP_201_CREATED
        )
