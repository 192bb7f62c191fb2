from rest_framework.routers import SimpleRouter

from .views import RiskFlagViewSet

router = SimpleRouter()
router.register("risk-flags", RiskFlagViewSet, basename="risk-flag")

urlpatterns = router.urls
