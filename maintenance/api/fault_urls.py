from rest_framework.routers import SimpleRouter

from .faults import FaultViewSet

router = SimpleRouter()
router.register("faults", FaultViewSet, basename="fault")

urlpatterns = router.urls
