from django.utils import timezone
from rest_framework import permissions, viewsets
from rest_framework.exceptions import PermissionDenied

from accounts import access
from registry.filtersets import DistrictFilterSet, ElevatorFilterSet, OrganizationFilterSet
from registry.models import District, Elevator
from registry.selectors import elevator_list_queryset
from registry.services import elevator_save, organization_save

from .serializers import DistrictSerializer, ElevatorSerializer, OrganizationSerializer


def _save_through(service, instance_kw: str, serializer, user):
    """Run a registry service on the serializer's unsaved instance (its errors are 400s: elevator_portal.api)."""
    instance = serializer.instance or serializer.Meta.model()
    for field, value in serializer.validated_data.items():
        setattr(instance, field, value)
    serializer.instance = service(**{instance_kw: instance}, changed_by=user)


class DistrictViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = District.objects.all()
    serializer_class = DistrictSerializer
    filterset_class = DistrictFilterSet
    permission_classes = [permissions.AllowAny]


class OrganizationViewSet(viewsets.ModelViewSet):
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return access.organizations_for(self.request.user).select_related("district")

    def perform_create(self, serializer):
        if not access.can_change_organization(self.request.user):
            raise PermissionDenied()
        _save_through(organization_save, "organization", serializer, self.request.user)

    def perform_update(self, serializer):
        if not access.can_change_organization(self.request.user, serializer.instance):
            raise PermissionDenied()
        _save_through(organization_save, "organization", serializer, self.request.user)


class ElevatorViewSet(viewsets.ModelViewSet):
    serializer_class = ElevatorSerializer
    filterset_class = ElevatorFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return elevator_list_queryset(user=self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def _check_district(self, serializer):
        # A district regulator may neither create nor move an elevator outside the district.
        district = serializer.validated_data.get("district")
        if district is not None and not access.can_change_elevator(self.request.user, Elevator(district=district)):
            raise PermissionDenied()

    def perform_create(self, serializer):
        if not access.can_change_elevator(self.request.user):
            raise PermissionDenied()
        self._check_district(serializer)
        _save_through(elevator_save, "elevator", serializer, self.request.user)

    def perform_update(self, serializer):
        if not access.can_change_elevator(self.request.user, serializer.instance):
            raise PermissionDenied()
        self._check_district(serializer)
        _save_through(elevator_save, "elevator", serializer, self.request.user)
