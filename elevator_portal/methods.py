"""Only the HTTP methods the portal speaks reach a view (issue 14: TRACE was answered like GET).

Django's plain function views answer any method their code does not test for as if it were GET; TRACE, CONNECT and
invented methods ("FOO") are refused here with 405 and an Allow header before any view runs. Each view still
refuses the known methods it does not take (require_http_methods, DRF's http_method_names).
"""

from django.http import HttpResponseNotAllowed

KNOWN_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class KnownMethodsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in KNOWN_METHODS:
            return HttpResponseNotAllowed(KNOWN_METHODS)
        return self.get_response(request)
