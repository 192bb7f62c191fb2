"""Staff complaint pages: the queue, a complaint with its timeline and handling forms, responses, photos.

Who sees what is decided in accounts.access only (docs/rules.md "Who sees what"); the workflow rules live in
complaints.services (docs/rules.md "Complaint handling"). Personal data is masked in lists and exports for
everyone, and shown in full only on the detail page of those who handle the complaint.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import access
from departments.choices import Category
from elevator_portal.exports import export_response
from elevator_portal.files import content_type_of
from elevator_portal.forms import filter_data
from elevator_portal.pages import paginate

from . import services
from .choices import Status
from .filtersets import OPEN, STATUS_CHOICES, ComplaintFilterSet
from .models import ComplaintPhoto
from .selectors import complaint_description_for, complaint_events_for, complaint_queue, complaints_with_deadline


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


# Masked personal data only: an export leaves the portal, so it never carries full names or numbers.
COMPLAINT_EXPORT: list[tuple[str, Callable]] = [
    ("查询编号", lambda c: c.tracking_no),
    ("提交时间", lambda c: _local(c.created_at)),
    ("投诉类别", lambda c: c.get_category_display()),
    ("有人被困", lambda c: "是" if c.trapped_now else ""),
    ("状态", lambda c: c.get_status_display()),
    ("区县", lambda c: c.district.name),
    ("地址", lambda c: c.address),
    ("电梯注册代码", lambda c: c.elevator.registration_code if c.elevator_id else ""),
    ("牵头部门", lambda c: c.department.name),
    ("投诉人", lambda c: c.masked_name),
    ("联系电话", lambda c: c.masked_phone),
    ("办理期限", lambda c: _local(c.due_at)),
    ("是否超期", lambda c: "超期" if c.is_overdue else ""),
    ("督办时间", lambda c: _local(c.escalated_at)),
]

SUCCESS = {
    "accept": gettext_lazy("已受理投诉%(no)s，请在%(due)s前答复。"),
    "start": gettext_lazy("投诉%(no)s已转入处理中。"),
    "resolve": gettext_lazy("已答复投诉%(no)s，答复已在查询页面公开。"),
    "reject": gettext_lazy("投诉%(no)s已不予受理，原因已在查询页面公开。"),
}


def _require_staff(user) -> None:
    if not access.can_view_complaints(user):
        raise PermissionDenied(_("您没有权限访问投诉办理页面。"))


def _error_messages(request, exc: Exception) -> None:
    """A service's refusal, shown as it was worded (ValidationError lists, PermissionDenied one line)."""
    texts = exc.messages if isinstance(exc, ValidationError) else [str(exc) or _("您没有权限执行该操作。")]
    for text in texts:
        messages.error(request, text)


@login_required
def queue(request):
    """The complaints a user may see, filtered; overdue ones marked with the deadline they missed."""
    _require_staff(request.user)
    queryset = complaints_with_deadline(complaint_queue(user=request.user), now=timezone.now())
    # Department staff start from their open complaints.
    data = filter_data(request.GET, defaults={"status": OPEN} if access.works_for_department(request.user) else None)
    filterset = ComplaintFilterSet(data, queryset=queryset)
    if request.GET.get("export") in ("csv", "xlsx"):
        return export_response(
            queryset=filterset.qs, columns=COMPLAINT_EXPORT, fmt=request.GET["export"], basename="complaints"
        )
    page, querystring = paginate(request, filterset.qs)
    districts = access.districts_for(request.user)
    return render(
        request,
        "complaints/staff/queue.html",
        {
            "page": page,
            "querystring": querystring,
            "filter": filterset,
            "status": data.getlist("status"),
            "category": data.getlist("category"),
            "district": data.get("district", ""),
            "q": data.get("q", ""),
            "overdue": data.get("overdue", "") == "true",
            "statuses": STATUS_CHOICES,
            "categories": Category.choices,
            "districts": districts,
        },
    )


@login_required
def detail(request, pk):
    """Everything about one complaint; full contact data only for those who handle it."""
    _require_staff(request.user)
    queryset = (
        complaints_with_deadline(complaint_queue(user=request.user), now=timezone.now())
        .select_related("elevator__use_unit", "elevator__maintenance_firm", "duplicate_of", "department__supervisor")
        .prefetch_related("co_departments", "photos")
    )
    complaint = get_object_or_404(queryset, pk=pk)
    handler = access.can_handle_complaint(request.user, complaint)
    actions = (
        [name for name, (allowed, _target) in services.TRANSITIONS.items() if complaint.status in allowed]
        if handler
        else []
    )
    return render(
        request,
        "complaints/staff/detail.html",
        {
            "complaint": complaint,
            "show_contact": handler,
            "actions": actions,
            "can_respond": access.can_respond_to_complaint(request.user, complaint),
            # The firm and the use unit read the resident's words masked and no internal notes (issue 14).
            "description": complaint_description_for(user=request.user, complaint=complaint),
            "events": complaint_events_for(user=request.user, complaint=complaint),
            "duplicates": access.complaints_for(request.user, complaint.duplicates.order_by("created_at")),
            # Responses belong to a complaint still being worked on or just answered, not to a closed file.
            "accepts_responses": complaint.status
            in (Status.SUBMITTED, Status.ACCEPTED, Status.IN_PROGRESS, Status.RESOLVED),
        },
    )


@login_required
@require_POST
def action(request, pk, action):
    """Accept, start, resolve (with the answer) or reject (with the reason), through the service."""
    _require_staff(request.user)
    if action not in services.TRANSITIONS:
        raise Http404
    complaint = get_object_or_404(complaint_queue(user=request.user), pk=pk)
    try:
        complaint = services.complaint_transition(
            user=request.user, complaint=complaint, action=action, text=request.POST.get("text", "")
        )
    except (ValidationError, PermissionDenied) as exc:
        _error_messages(request, exc)
    else:
        messages.success(
            request, SUCCESS[action] % {"no": complaint.tracking_no, "due": _local(complaint.resolve_deadline)}
        )
    return redirect("complaints:staff_detail", pk=complaint.pk)


@login_required
@require_POST
def respond(request, pk):
    """The use unit, the maintenance firm or a co-responsible department adds its response."""
    _require_staff(request.user)
    complaint = get_object_or_404(complaint_queue(user=request.user), pk=pk)
    public = request.POST.get("public") in ("on", "true", "1")
    try:
        services.complaint_respond(
            user=request.user, complaint=complaint, text=request.POST.get("text", ""), public=public
        )
    except (ValidationError, PermissionDenied) as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, _("回复已保存，并在查询页面公开。") if public else _("回复已保存（仅内部可见）。"))
    return redirect("complaints:staff_detail", pk=complaint.pk)


@login_required
def photo(request, pk):
    """A complaint photo goes only to those who may see the complaint (accounts.access)."""
    found = get_object_or_404(ComplaintPhoto.objects.filter(complaint__in=access.complaints_for(request.user)), pk=pk)
    handle = found.file.open("rb")
    # The upload was checked to be JPEG or PNG by its first bytes; serve it with the type those bytes say.
    response = FileResponse(handle, content_type=content_type_of(handle))
    response["Cache-Control"] = "private, max-age=3600"
    return response
