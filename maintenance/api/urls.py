from rest_framework.routers import DefaultRouter

from .views import ContractViewSet, MaintenanceRecordViewSet

router = DefaultRouter()
router.register("maintenance-records", MaintenanceRecordViewSet, basename="maintenance-record")
router.register("maintenance-contracts", ContractViewSet, basename="maintenance-contract")

urlpatterns = router.urls
