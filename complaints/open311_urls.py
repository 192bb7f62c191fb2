"""Open311 GeoReport v2 endpoints (http://wiki.open311.org/GeoReport_v2), mounted at /open311/v2/.

The format is the resource's extension, as the spec asks: `.json` or `.xml`.
"""

from django.urls import re_path

from . import open311

FORMAT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^services" + FORMAT, open311.services, name="open311_services"),
    re_path(r"^services/(?P<service_code>[^/]{1,64})" + FORMAT, open311.service_definition, name="open311_service"),
    re_path(r"^requests" + FORMAT, open311.requests, name="open311_requests"),
    re_path(
        r"^requests/(?P<service_request_id>[A-Za-z0-9-]{1,40})" + FORMAT, open311.request_detail, name="open311_request"
    ),
]
