"""Pages of the inspection workflow: use units apply, agencies schedule and record, regulators watch."""

import calendar
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import access
from elevator_portal.forms import add_service_errors, filter_data
from elevator_portal.pages import paginate
from registry.filtersets import ElevatorFilterSet
from registry.selectors import elevator_list_queryset

from . import services
from .choices import ApplicationStatus
from .filtersets import APPLICATION_STATUS_CHOICES, OPEN, InspectionApplicationFilterSet
from .forms import ApplicationForm, DefectFormSet, RectifyForm, RejectForm, ResultForm, ScheduleForm
from .selectors import application_list, inspection_overview_by_district, my_elevators, scheduled_between


@login_required
def my_elevators_view(request):
    """Use unit (and maintenance firm): my elevators with validity status and the apply button."""
    if not access.can_view_registry(request.user):
        raise PermissionDenied(_("您没有权限访问此页面。"))
    qs = my_elevators(user=request.user)
    status = request.GET.get("status")
    if status:
        qs = ElevatorFilterSet({"inspection_status": status}, queryset=qs).qs
    page, querystring = paginate(request, qs)
    return render(
        request,
        "inspections/my_elevators.html",
        {
            "page": page,
            "querystring": querystring,
            "status": status,
            "can_apply": access.can_apply_for_inspection(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def apply(request, elevator_pk):
    elevator = get_object_or_404(elevator_list_queryset(user=request.user), pk=elevator_pk)
    if not access.can_apply_for_inspection(request.user, elevator):
        raise PermissionDenied(_("只有该电梯的使用单位可以申报检验。"))
    today = timezone.localdate()
    initial = {
        "wished_from": today + timedelta(days=7),
        "wished_to": today + timedelta(days=21),
        "site_contact": request.user.get_full_name(),
        "site_phone": request.user.phone,
    }
    form = ApplicationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_submit(user=request.user, elevator=elevator, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("已向%(agency)s提交检验申报，请等待受理。") % {"agency": application.agency.name}
            )
            return redirect("inspections:application_detail", pk=application.pk)
    return render(request, "inspections/apply.html", {"form": form, "elevator": elevator})


@login_required
def applications(request):
    """The agency's queue; the use unit's and regulators' view of applications."""
    # The agency starts from its open queue; filtered as `/api/v1/inspection-applications/` filters.
    defaults = {"status": OPEN} if access.can_handle_application(request.user) else None
    filterset = InspectionApplicationFilterSet(
        filter_data(request.GET, defaults=defaults), queryset=application_list(user=request.user)
    )
    page, querystring = paginate(request, filterset.qs)
    return render(
        request,
        "inspections/applications.html",
        {"page": page, "querystring": querystring, "filter": filterset, "statuses": APPLICATION_STATUS_CHOICES},
    )


@login_required
def application_detail(request, pk):
    application = get_object_or_404(application_list(user=request.user).prefetch_related("inspectors"), pk=pk)
    handler = access.can_handle_application(request.user, application)
    return render(
        request,
        "inspections/application_detail.html",
        {
            "application": application,
            "can_handle": handler,
            "can_cancel": access.can_apply_for_inspection(request.user, application.elevator)
            and application.status == ApplicationStatus.SUBMITTED,
            "reject_form": RejectForm() if handler else None,
            "schedule_form": ScheduleForm(
                agency_id=application.agency_id,
                initial={"scheduled_on": application.scheduled_on or application.wished_from},
            )
            if handler
            else None,
            "inspection": getattr(application, "inspection", None),
        },
    )


@login_required
@require_POST
def application_action(request, pk, action):
    application = get_object_or_404(application_list(user=request.user), pk=pk)
    try:
        if action == "accept":
            services.application_accept(user=request.user, application=application)
            messages.success(request, _("已受理。"))
        elif action == "reject":
            form = RejectForm(request.POST)
            if not form.is_valid():
                raise ValidationError({"reject_reason": _("请填写不予受理的原因。")})
            services.application_reject(user=request.user, application=application, reason=form.cleaned_data["reason"])
            messages.success(request, _("已不予受理，并通知申报单位。"))
        elif action == "schedule":
            form = ScheduleForm(request.POST, agency_id=application.agency_id)
            if not form.is_valid():
                raise ValidationError([f"{form.fields[f].label}：{e}" for f, errs in form.errors.items() for e in errs])
            services.application_schedule(user=request.user, application=application, **form.cleaned_data)
            messages.success(request, _("已安排于%(day)s检验。") % {"day": application.scheduled_on})
        elif action == "cancel":
            services.application_cancel(user=request.user, application=application)
            messages.success(request, _("申报已撤回。"))
        else:
            raise Http404
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("inspections:application_detail", pk=application.pk)


@login_required
@require_http_methods(["GET", "POST"])
def record_result(request, pk):
    application = get_object_or_404(application_list(user=request.user), pk=pk)
    if not access.can_handle_application(request.user, application):
        raise PermissionDenied(_("只有受理该申报的检验机构可以录入检验结果。"))
    form = ResultForm(
        request.POST or None,
        request.FILES or None,
        agency_id=application.agency_id,
        initial={
            "inspected_on": application.scheduled_on or timezone.localdate(),
            "inspectors": application.inspectors.all(),
        },
    )
    defects = DefectFormSet(request.POST or None, prefix="defects")
    if request.method == "POST" and form.is_valid() and defects.is_valid():
        defect_rows = [d for d in defects.cleaned_data if d.get("description")]
        try:
            inspection = services.inspection_record(
                user=request.user,
                elevator=application.elevator,
                agency=application.agency,
                kind=application.kind,
                application=application,
                defects=defect_rows,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("检验结果已录入：%(result)s。") % {"result": inspection.get_result_display()})
            if not inspection.changed_elevator:
                messages.warning(
                    request,
                    _(
                        "电梯已登记更晚的检验有效期（至%(day)s）或检验记录，本结果已记入历史，未改变电梯的检验有效期和"
                        "检验状态；如需更正，请在录入时勾选“更正有效期”并填写原因。"
                    )
                    % {"day": inspection.elevator.inspection_valid_until or "—"},
                )
            return redirect("inspections:inspection_detail", pk=inspection.pk)
    return render(
        request, "inspections/record_result.html", {"form": form, "defects": defects, "application": application}
    )


@login_required
def inspection_detail(request, pk):
    inspection = get_object_or_404(
        access.inspections_for(request.user)
        .select_related("elevator__district", "agency", "recorded_by")
        .prefetch_related("inspectors", "defects"),
        pk=pk,
    )
    rectifiable = {d.pk for d in inspection.defects.all() if access.can_rectify_defect(request.user, d)}
    return render(
        request,
        "inspections/inspection_detail.html",
        {"inspection": inspection, "rectifiable": rectifiable, "rectify_form": RectifyForm()},
    )


@login_required
def report_download(request, pk):
    """A report file goes only to those who may see the inspection (accounts.access)."""
    inspection = get_object_or_404(access.inspections_for(request.user), pk=pk)
    if not inspection.report_file:
        raise Http404
    return FileResponse(
        inspection.report_file.open("rb"), content_type="application/pdf", filename=f"{inspection.report_no}.pdf"
    )


@login_required
def evidence_download(request, pk):
    defect = get_object_or_404(access.defects_for(request.user), pk=pk)
    if not defect.evidence:
        raise Http404
    return FileResponse(defect.evidence.open("rb"), as_attachment=True, filename=defect.evidence.name.rsplit("/")[-1])


@login_required
@require_POST
def defect_rectify(request, pk):
    defect = get_object_or_404(access.defects_for(request.user).select_related("inspection__elevator"), pk=pk)
    form = RectifyForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ValidationError({"rectification_note": _("请填写整改情况。")})
        services.defect_rectify(
            user=request.user, defect=defect, note=form.cleaned_data["note"], evidence=form.cleaned_data.get("evidence")
        )
        messages.success(request, _("整改情况已登记，等待复检。"))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("inspections:inspection_detail", pk=defect.inspection_id)


CALENDAR_YEARS = (1900, 2999)


@login_required
def calendar_view(request):
    """A month of scheduled inspections (the agency's; a regulator's in scope)."""
    today = timezone.localdate()
    try:
        year, month = (int(x) for x in request.GET.get("month", f"{today:%Y-%m}").split("-"))
        # A month a calendar can show with its neighbours (9999-12 has no next month): else this month.
        if not CALENDAR_YEARS[0] <= year <= CALENDAR_YEARS[1]:
            raise ValueError(year)
        first = date(year, month, 1)
    except ValueError:
        first = today.replace(day=1)
    last_day = calendar.monthrange(first.year, first.month)[1]
    end = first + timedelta(days=last_day)
    by_day: dict[date, list] = {}
    for application in scheduled_between(user=request.user, start=first, end=end):
        by_day.setdefault(application.scheduled_on, []).append(application)
    weeks = [
        [{"day": d, "items": by_day.get(d, []), "in_month": d.month == first.month} for d in week]
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    ]
    previous = (first - timedelta(days=1)).replace(day=1)
    weekdays = [_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日")]
    return render(
        request,
        "inspections/calendar.html",
        {
            "weeks": weeks,
            "weekdays": weekdays,
            "first": first,
            "previous": f"{previous:%Y-%m}",
            "next": f"{end:%Y-%m}",
            "today": today,
            "count": sum(len(v) for v in by_day.values()),
        },
    )


@login_required
def overview(request):
    """Regulators: overdue, expiring and failed inspections by district, each number linking to its list."""
    if not access.is_regulator(request.user):
        raise PermissionDenied(_("您没有权限访问此页面。"))
    rows = inspection_overview_by_district(user=request.user, today=timezone.localdate())
    totals = {k: sum(r[k] for r in rows) for k in ("total", "overdue", "expiring", "failed", "unknown")}
    return render(request, "inspections/overview.html", {"rows": rows, "totals": totals})
