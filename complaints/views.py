"""Public complaint pages (no account): the form and the tracking page. (Being written.)"""

from django.http import Http404


def complaint_new(request):
    raise Http404


def track(request, tracking_no):
    raise Http404


def close(request, tracking_no):
    raise Http404
