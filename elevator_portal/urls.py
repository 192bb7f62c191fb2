from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import BasePermission

from accounts import views as account_views
from monitoring import views as monitoring_views
from registry import views as registry_views

from .health import healthz, livez


class SchemaReaders(BasePermission):
    """The OpenAPI schema is for signed-in users (session or token) unless API_SCHEMA_PUBLIC (issue 14)."""

    def has_permission(self, request, view):
        return settings.API_SCHEMA_PUBLIC or bool(request.user and request.user.is_authenticated)


# Swagger UI with its start-up script served as a file (the split view), so that it runs under the
# Content-Security-Policy; templates/api_docs.html gives its style block the nonce. GET and HEAD only: DRF's OPTIONS
# answer cannot be drawn by the HTML renderer.
_api_docs = SpectacularSwaggerSplitView.as_view(
    url_name="schema",
    template_name="api_docs.html",
    permission_classes=[SchemaReaders],
    http_method_names=["get", "head"],
)


def api_docs(request, *args, **kwargs):
    """A browser that is not signed in is sent to the login page rather than shown a bare 403."""
    if not settings.API_SCHEMA_PUBLIC and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return _api_docs(request, *args, **kwargs)


admin.site.site_header = "攀枝花市电梯安全监管平台"
admin.site.site_title = "电梯安全监管平台"

urlpatterns = [
    path("", registry_views.home, name="home"),
    path("e/<str:code>/", monitoring_views.public_elevator, name="public_elevator"),
    path("e/<str:code>/qr.svg", registry_views.elevator_qr, name="elevator_qr"),
    path("e/<str:code>/sign/", registry_views.elevator_sign, name="elevator_sign"),
    path("registry/", include("registry.urls")),
    # The history timeline reads every domain, so monitoring serves it, at the registry's address.
    path("registry/elevators/<int:pk>/history/", monitoring_views.elevator_history_view, name="elevator_history"),
    path("inspections/", include("inspections.urls")),
    path("notifications/", include("notifications.urls")),
    path("maintenance/", include("maintenance.urls")),
    path("faults/", include("maintenance.faults.urls")),
    path("rescue/", include("rescue.urls")),
    path("preparedness/", include("preparedness.urls")),
    path("firms/", include("maintenance.credit.urls")),
    path("complaints/", include("complaints.urls")),
    path("departments/", include("departments.urls")),
    path("open311/v2/", include("complaints.open311_urls")),
    path("dashboard/", include("dashboards.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/start/", account_views.start, name="start"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/v1/", include("registry.api.urls")),
    path("api/v1/", include("inspections.api.urls")),
    path("api/v1/", include("maintenance.api.urls")),
    path("api/v1/", include("maintenance.faults.api.urls")),
    path("api/v1/", include("rescue.api.urls")),
    path("api/v1/", include("preparedness.api.urls")),
    path("api/v1/", include("maintenance.credit.api.urls")),
    path("api/v1/", include("complaints.api.urls")),
    path("api/v1/", include("departments.api.urls")),
    path("api/v1/", include("monitoring.api.urls")),
    path("api/v1/iot/", include("iot.urls")),  # devices' signed events (GB/T 24476-2017), no user session
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[SchemaReaders]), name="schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
]
