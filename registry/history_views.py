"""The elevator history page: one elevator's whole story in time order, for those who may see the elevator."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts import access

from .history import EventKind, elevator_history
from .selectors import elevator_list_queryset


@login_required
@require_GET
def elevator_history_view(request, pk):
    if not access.can_view_registry(request.user):
        raise PermissionDenied(_("您没有权限访问此页面。"))
    # Outside the user's scope the elevator does not exist for them (404, not 403).
    elevator = get_object_or_404(elevator_list_queryset(user=request.user), pk=pk)
    events = elevator_history(elevator=elevator)
    present = {event.kind for event in events}
    kinds = [(code, label) for code, label in EventKind.choices if code in present]
    # The filter chips are plain links (?kind=...), so they work on any phone without JavaScript.
    kind = request.GET.get("kind", "")
    if kind in present:
        events = [event for event in events if event.kind == kind]
    else:
        kind = ""
    return render(
        request,
        "registry/elevator_history.html",
        {"elevator": elevator, "events": events, "kinds": kinds, "kind": kind},
    )
