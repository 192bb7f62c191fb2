"""What every API endpoint shares: one exception handler that turns the services' errors into responses.

Services raise Django's ValidationError and PermissionDenied, whoever calls them (a page, the API, a job). Pages put
them on the form (elevator_portal.forms.add_service_errors); here the API answers them with DRF's 400 and 403 and the
same messages, so a viewset calls a service directly and never catches its errors itself.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ValidationError
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """DRF's handler, after a service's ValidationError became a 400 ({field: [messages]} or {"detail": [...]});
    Django's PermissionDenied (403, with its message) and Http404 are DRF's own conversions."""
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})
    return drf_exception_handler(exc, context)
