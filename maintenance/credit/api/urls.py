from rest_framework.routers import DefaultRouter

from .views import FirmGradeViewSet

router = DefaultRouter()
router.register("firm-grades", FirmGradeViewSet, basename="firm-grade")

urlpatterns = router.urls
