from rest_framework.routers import SimpleRouter

from .views import FaultViewSet

router = SimpleRouter()
router.register("faults", FaultViewSet, basename="fault")

urlpatterns = router.urls
