"""Pages of the rescue loop (docs/rules.md "Entrapment rescue loop"). Placeholder until the console lands."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect

from accounts import access

from .selectors import incidents_for


@login_required
def console(request):
    if not access.can_view_rescue_console(request.user):
        raise PermissionDenied
    return redirect("faults:list")


@login_required
def incident_detail(request, pk: int):
    fault = get_object_or_404(incidents_for(request.user), pk=pk)
    return redirect("faults:detail", fault.pk)
