"""`/api/v1/` endpoints of preparedness, one module per topic (each with its own router)."""

from . import drills, insurance, overview, safety

urlpatterns = [*overview.urlpatterns, *safety.urlpatterns, *drills.urlpatterns, *insurance.urlpatterns]
