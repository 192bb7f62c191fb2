from rest_framework.routers import DefaultRouter

from .views import DistrictViewSet, ElevatorViewSet, OrganizationViewSet

router = DefaultRouter()
router.register("districts", DistrictViewSet, basename="district")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("elevators", ElevatorViewSet, basename="elevator")

urlpatterns = router.urls
