from rest_framework import permissions, viewsets

from departments.filtersets import DepartmentFilterSet
from departments.models import Department

from .serializers import DepartmentSerializer


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Departments, their duties (plan §2(8)) and the complaint categories they lead: public information."""

    queryset = Department.objects.select_related("district").prefetch_related("routing_rules", "sector_rules")
    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilterSet
    permission_classes = [permissions.AllowAny]
