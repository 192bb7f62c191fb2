from rest_framework import viewsets

from monitoring.filtersets import RiskFlagFilterSet
from monitoring.selectors import risk_flag_list

from .serializers import RiskFlagSerializer


class RiskFlagViewSet(viewsets.ReadOnlyModelViewSet):
    """Key-monitoring flags (plan §2(4)), current and past, of the elevators the user may see."""

    serializer_class = RiskFlagSerializer
    filterset_class = RiskFlagFilterSet

    def get_queryset(self):
        return risk_flag_list(user=self.request.user).order_by("-first_seen", "id")
