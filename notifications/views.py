from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from elevator_portal.pages import paginate

from .models import Notification
from .services import notification_mark_read


@login_required
def inbox(request):
    """The signed-in user's notifications, newest first."""
    page, querystring = paginate(request, Notification.objects.filter(recipient=request.user), per_page=20)
    return render(request, "notifications/inbox.html", {"page": page, "querystring": querystring})


@login_required
@require_POST
def mark_read(request):
    notification_id = request.POST.get("id") or None
    if notification_id is not None and not notification_id.isdigit():
        return HttpResponseBadRequest(_("通知编号无效。"))
    count = notification_mark_read(
        user=request.user, notification_id=int(notification_id) if notification_id is not None else None
    )
    messages.success(request, _("已将%(n)d条通知标为已读。") % {"n": count})
    return redirect("notifications:inbox")
