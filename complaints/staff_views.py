"""Staff complaint pages: queues, handling, responses. (Being written.)"""

from django.http import Http404


def queue(request):
    raise Http404


def detail(request, pk):
    raise Http404


def respond(request, pk):
    raise Http404


def action(request, pk, action):
    raise Http404


def photo(request, pk):
    raise Http404
