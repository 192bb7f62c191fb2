from rest_framework.routers import DefaultRouter

from .views import InspectionApplicationViewSet, InspectionViewSet

router = DefaultRouter()
router.register("inspection-applications", InspectionApplicationViewSet, basename="inspection-application")
router.register("inspections", InspectionViewSet, basename="inspection")

urlpatterns = router.urls
