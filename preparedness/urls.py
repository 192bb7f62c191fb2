"""Pages under /preparedness/ (docs/architecture.md "preparedness"), one module of views per topic."""

from .views import drills, insurance, overview, safety

app_name = "preparedness"

urlpatterns = [*overview.urlpatterns, *safety.urlpatterns, *drills.urlpatterns, *insurance.urlpatterns]
