from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .models import Notification
from .services import notification_mark_read


@login_required
def inbox(request):
    """The signed-in user's notifications, newest first."""
    page = Paginator(Notification.objects.filter(recipient=request.user), 20).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page, "querystring": ""})


@login_required
@require_POST
def mark_read(request):
    count = notification_mark_read(user=request.user, notification_id=request.POST.get("id") or None)
    messages.success(request, _("已将%(n)d条通知标为已读。") % {"n": count})
    return redirect("notifications:inbox")
