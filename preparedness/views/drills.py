"""Pages of emergency plans and drills (plan §2(7) 应急专项预案; TSG T5002-2017: the maintenance firm drills with the
use unit at least every DRILL_INTERVAL_MONTHS months). Who sees and writes what is accounts.access's; the rules of
when a drill is due are preparedness.rules'; writes go through preparedness.services.drills."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import access
from elevator_portal.exports import export_response
from elevator_portal.files import content_type_of
from elevator_portal.forms import add_service_errors, filter_data
from elevator_portal.pages import paginate
from registry.choices import ElevatorStatus, OrganizationKind
from registry.models import Elevator, Organization

from ..choices import DrillStatus
from ..files import file_cap_mb
from ..forms.drills import (
    DrillCancelForm,
    DrillDueFilterForm,
    DrillFilterSet,
    DrillPlanForm,
    DrillRecordForm,
    EmergencyPlanFilterSet,
    EmergencyPlanForm,
)
from ..models import DrillPhoto
from ..rules import drill_due_on
from ..selectors.drills import drill_elevators, drill_list, plan_list, with_drill_due
from ..services import drills as services

# A firm maintaining more elevators than this picks the use unit first (a list of checkboxes a phone can scroll).
FIRM_PICKS_UNIT_ABOVE = 100


def _require_view(user) -> None:
    if not access.can_view_preparedness(user):
        raise PermissionDenied(_("应急预案和演练仅对使用单位、维保单位和监管部门开放。"))


def _uploads(files) -> list[services.Upload]:
    return [services.Upload(name=f.name, data=f.read()) for f in files]


def _managed_use_unit(request, picked: str | None = None):
    """The use unit a page writes for: a use unit's own; for a regulator the one picked (?use_unit=, or `picked`),
    else None."""
    units = access.preparedness_use_units_for(
        request.user, Organization.objects.filter(kind=OrganizationKind.USE_UNIT)
    ).order_by("name")
    if request.user.organization_id and units.filter(pk=request.user.organization_id).exists():
        return units.get(pk=request.user.organization_id), units
    picked = request.GET.get("use_unit", "") or picked or ""
    if str(picked).isdigit():
        return get_object_or_404(units, pk=picked), units
    return None, units


# ---------------------------------------------------------------- emergency plans


PLAN_COLUMNS = [
    (_("使用单位"), lambda p: p.use_unit.name),
    (_("预案名称"), lambda p: p.title),
    (_("版本"), lambda p: p.version),
    (_("发布日期"), lambda p: p.adopted_on.isoformat()),
    (_("适用电梯数"), lambda p: p.elevator_count),
]


@login_required
def plans(request):
    """The emergency plans of the user's scope, each version a row (plan §2(7))."""
    _require_view(request.user)
    filterset = EmergencyPlanFilterSet(filter_data(request.GET), queryset=plan_list(user=request.user))
    fmt = request.GET.get("export")
    if fmt in ("csv", "xlsx"):
        return export_response(queryset=filterset.qs, columns=PLAN_COLUMNS, fmt=fmt, basename="emergency-plans")
    page, querystring = paginate(request, filterset.qs)
    return render(
        request,
        "preparedness/plan_list.html",
        {
            "page": page,
            "querystring": querystring,
            "filter": filterset,
            "districts": access.districts_for(request.user),
            "can_create": access.can_manage_preparedness(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request):
    """File a new version of a use unit's emergency plan (a regulator first picks the use unit)."""
    if not access.can_manage_preparedness(request.user):
        raise PermissionDenied(_("只有使用单位和监管部门可以登记应急预案。"))
    use_unit, units = _managed_use_unit(request)
    form = None
    if use_unit is not None:
        form = EmergencyPlanForm(request.POST or None, request.FILES or None, use_unit=use_unit)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                plan = services.emergency_plan_file(
                    user=request.user,
                    use_unit=use_unit,
                    title=data["title"],
                    version=data["version"],
                    adopted_on=data["adopted_on"],
                    document=_uploads([data["document"]])[0],
                    elevators=data["elevators"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("预案“%(title)s”（%(version)s）已登记。下一步：按预案与维保单位计划应急演练。")
                    % {"title": plan.title, "version": plan.version},
                )
                return redirect("preparedness:plan_detail", pk=plan.pk)
    return render(
        request,
        "preparedness/plan_form.html",
        {
            "form": form,
            "use_unit": use_unit,
            "units": units,
            "max_mb": file_cap_mb(),
            # A browser never sends a file back: after a failed submit the document must be chosen again.
            "file_lost": request.method == "POST" and bool(request.FILES.get("document")),
        },
    )


@login_required
def plan_detail(request, pk):
    _require_view(request.user)
    plan = get_object_or_404(plan_list(user=request.user), pk=pk)
    return render(
        request,
        "preparedness/plan_detail.html",
        {
            "plan": plan,
            "elevators": plan.elevators.select_related("district").order_by("address"),
            "drills": drill_list(user=request.user).filter(plan=plan)[:20],
            "can_plan_drill": access.can_record_drill(request.user),
        },
    )


@login_required
def plan_document(request, pk):
    """The plan's PDF, only to those who may see the plan (accounts.access), never through MEDIA_URL."""
    _require_view(request.user)
    plan = get_object_or_404(access.emergency_plans_for(request.user), pk=pk)
    handle = plan.document.open("rb")
    return FileResponse(handle, content_type=content_type_of(handle), filename=f"{plan.title}-{plan.version}.pdf")


# ---------------------------------------------------------------- drills


DRILL_COLUMNS = [
    (_("使用单位"), lambda d: d.use_unit.name),
    (_("维保单位"), lambda d: d.firm.name if d.firm_id else ""),
    (_("演练场景"), lambda d: d.get_scenario_display()),
    (_("状态"), lambda d: d.get_status_display()),
    (_("计划日期"), lambda d: d.planned_on.isoformat()),
    (_("演练日期"), lambda d: d.held_on.isoformat() if d.held_on else ""),
    (_("演练电梯"), lambda d: "、".join(e.registration_code for e in d.elevators.all())),
    (_("解救用时（分钟）"), lambda d: "" if d.release_minutes is None else d.release_minutes),
    (_("使用单位参加人员"), lambda d: d.use_unit_participants),
    (_("维保单位参加人员"), lambda d: d.firm_participants),
    (_("发现的问题"), lambda d: d.findings),
    (_("改进措施"), lambda d: d.improvements),
]


@login_required
def drills(request):
    """The drills of the user's scope (a firm: those it takes part in), filtered as `/api/v1/drills/` filters."""
    _require_view(request.user)
    filterset = DrillFilterSet(filter_data(request.GET), queryset=drill_list(user=request.user))
    fmt = request.GET.get("export")
    if fmt in ("csv", "xlsx"):
        return export_response(queryset=filterset.qs, columns=DRILL_COLUMNS, fmt=fmt, basename="drills")
    page, querystring = paginate(request, filterset.qs)
    return render(
        request,
        "preparedness/drill_list.html",
        {
            "page": page,
            "querystring": querystring,
            "filter": filterset,
            "statuses": DrillStatus.choices,
            "scenarios": filterset.filters["scenario"].extra["choices"],
            "districts": access.districts_for(request.user),
            "can_create": access.can_record_drill(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def drill_new(request):
    """Plan a drill: the use unit of its own elevators, a firm of those it maintains, a regulator for a use unit of
    the scope it picks first. The firm is the elevators' maintenance firm (TSG T5002-2017)."""
    if not access.can_record_drill(request.user):
        raise PermissionDenied(_("只有使用单位、维保单位和监管部门可以计划应急演练。"))
    candidates = access.elevators_for(request.user, Elevator.objects.filter(status=ElevatorStatus.IN_USE))
    # Linked from an elevator (?elevator=, the due list, the compliance page): its use unit is the one picked.
    preset = request.GET.get("elevator", "")
    preset = candidates.filter(pk=preset).values_list("use_unit_id", flat=True).first() if preset.isdigit() else None
    if access.works_for_firm(request.user):
        # A firm drills at the use units whose elevators it maintains: one of them at a time when they are many.
        units = Organization.objects.filter(pk__in=candidates.values("use_unit")).order_by("name")
        picked = request.GET.get("use_unit", "") or str(preset or "")
        use_unit = get_object_or_404(units, pk=picked) if picked.isdigit() else None
        if use_unit is None and candidates.count() > FIRM_PICKS_UNIT_ABOVE:
            candidates = candidates.none()
        else:
            units = None
    else:
        use_unit, units = _managed_use_unit(request, picked=preset)
        if use_unit is None:
            candidates = candidates.none()  # a regulator picks the use unit first
    if use_unit is not None:
        candidates = candidates.filter(use_unit=use_unit)
    candidates = candidates.select_related("use_unit").order_by("use_unit__name", "address")
    plans = plan_list(user=request.user).filter(use_unit=use_unit)
    if use_unit is None:
        plans = plans.none()
    initial = {"planned_on": timezone.localdate()}
    if request.GET.get("elevator", "").isdigit():
        initial["elevators"] = candidates.filter(pk=request.GET["elevator"])
    if request.GET.get("plan", "").isdigit():
        initial["plan"] = plans.filter(pk=request.GET["plan"]).first()
    form = DrillPlanForm(request.POST or None, elevators=candidates, plans=plans, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            drill = services.drill_plan(
                user=request.user,
                use_unit=data["elevators"][0].use_unit,
                planned_on=data["planned_on"],
                scenario=data["scenario"],
                elevators=data["elevators"],
                plan=data.get("plan"),
            )
        except PermissionDenied as exc:
            form.add_error("elevators", str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc, fields={"firm": "elevators"})
        else:
            messages.success(
                request,
                _(
                    "已计划%(day)s的应急演练。演练后请在本页记录演练结果（参加人员、解救用时、照片），电梯的下次演练日期随之更新。"
                )
                % {"day": drill.planned_on},
            )
            return redirect("preparedness:drill_detail", pk=drill.pk)
    return render(
        request,
        "preparedness/drill_form.html",
        {"form": form, "use_unit": use_unit, "units": units, "pick_unit": use_unit is None and units is not None},
    )


@login_required
def drill_detail(request, pk):
    _require_view(request.user)
    drill = get_object_or_404(drill_list(user=request.user).prefetch_related("photos"), pk=pk)
    can_act = drill.status == DrillStatus.PLANNED and access.can_record_drill(request.user, drill)
    return render(
        request,
        "preparedness/drill_detail.html",
        {
            "drill": drill,
            "can_record": can_act,
            "can_cancel": can_act,
            "cancel_reason": services.drill_cancel_reason(drill),
            "next_due": drill_due_on(drill.held_on) if drill.held_on else None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def drill_record(request, pk):
    """Record the result of a planned drill, with photos (TSG T5002-2017: the firm and the use unit together)."""
    _require_view(request.user)
    drill = get_object_or_404(drill_list(user=request.user), pk=pk)
    if not access.can_record_drill(request.user, drill):
        raise PermissionDenied(_("您不能记录该演练。"))
    if drill.status != DrillStatus.PLANNED:
        messages.info(request, _("该演练已是“%(s)s”状态，不能再记录。") % {"s": drill.get_status_display()})
        return redirect("preparedness:drill_detail", pk=drill.pk)
    form = DrillRecordForm(request.POST or None, request.FILES or None, initial={"held_on": drill.planned_on})
    lost_photos: list[str] = []
    if request.method == "POST":
        # A browser never sends files back after a failed submit: the page names each photo to choose again.
        lost_photos = [f.name for f in request.FILES.getlist("photos")]
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.drill_record(
                    user=request.user,
                    drill=drill,
                    held_on=data["held_on"],
                    use_unit_participants=data["use_unit_participants"],
                    firm_participants=data["firm_participants"],
                    release_minutes=data["release_minutes"],
                    findings=data["findings"],
                    improvements=data["improvements"],
                    photos=_uploads(data["photos"]),
                )
            except ValidationError as exc:
                add_service_errors(form, exc, fields={"status": None})
            else:
                messages.success(
                    request,
                    _("演练结果已记录。所涉电梯的下次应急演练应在%(due)s前完成。")
                    % {"due": drill_due_on(data["held_on"])},
                )
                return redirect("preparedness:drill_detail", pk=drill.pk)
    return render(
        request,
        "preparedness/drill_record.html",
        {"form": form, "drill": drill, "max_mb": file_cap_mb(), "lost_photos": lost_photos},
    )


@login_required
@require_http_methods(["GET", "POST"])
def drill_cancel(request, pk):
    _require_view(request.user)
    drill = get_object_or_404(drill_list(user=request.user), pk=pk)
    if not access.can_record_drill(request.user, drill):
        raise PermissionDenied(_("您不能取消该演练。"))
    form = DrillCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.drill_cancel(user=request.user, drill=drill, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc, fields={"status": None})
        else:
            messages.success(request, _("演练已取消。请另行计划演练，以免电梯的应急演练超期。"))
            return redirect("preparedness:drill_detail", pk=drill.pk)
    return render(request, "preparedness/drill_cancel.html", {"form": form, "drill": drill})


@login_required
def drill_photo(request, pk):
    """A drill photo, only to those who may see the drill (accounts.access), never through MEDIA_URL."""
    _require_view(request.user)
    photo = get_object_or_404(DrillPhoto.objects.filter(drill__in=access.drills_for(request.user)), pk=pk)
    handle = photo.file.open("rb")
    return FileResponse(handle, content_type=content_type_of(handle))


# ---------------------------------------------------------------- elevators by drill state


def _due_columns():
    return [
        (_("注册代码"), lambda e: e.registration_code),
        (_("地址"), lambda e: e.address),
        (_("区县"), lambda e: e.district.name if e.district_id else ""),
        (_("使用单位"), lambda e: e.use_unit.name if e.use_unit_id else ""),
        (_("维保单位"), lambda e: e.maintenance_firm.name if e.maintenance_firm_id else ""),
        (_("最近应急演练"), lambda e: e.last_drill_on.isoformat() if e.last_drill_on else ""),
        (_("下次演练截止"), lambda e: drill_due_on(e.drill_counted_from).isoformat()),
    ]


@login_required
def drills_due(request):
    """Elevators in use of the scope with their last drill, due day and state (preparedness.rules): the overview
    links here with `district` and `state`, and this list counts exactly what the rules count."""
    _require_view(request.user)
    today = timezone.localdate()
    form = DrillDueFilterForm(filter_data(request.GET), districts=access.districts_for(request.user))
    state = district_id = None
    if form.is_valid():
        state = form.cleaned_data["state"] or None
        district_id = form.cleaned_data["district"].pk if form.cleaned_data["district"] else None
    elevators = drill_elevators(user=request.user, today=today, state=state, district_id=district_id)
    fmt = request.GET.get("export")
    if fmt in ("csv", "xlsx"):
        return export_response(queryset=elevators, columns=_due_columns(), fmt=fmt, basename="drills-due")
    page, querystring = paginate(request, elevators)
    page.object_list = with_drill_due(page.object_list, today=today)
    return render(
        request,
        "preparedness/drill_due.html",
        {
            "page": page,
            "querystring": querystring,
            "form": form,
            "today": today,
            "interval": settings.DRILL_INTERVAL_MONTHS,
            "reminder_days": settings.DRILL_REMINDER_DAYS,
            "can_plan": access.can_record_drill(request.user),
        },
    )


urlpatterns = [
    path("plans/", plans, name="plans"),
    path("plans/new/", plan_new, name="plan_new"),
    path("plans/<int:pk>/", plan_detail, name="plan_detail"),
    path("plans/<int:pk>/document/", plan_document, name="plan_document"),
    path("drills/", drills, name="drills"),
    path("drills/new/", drill_new, name="drill_new"),
    path("drills/due/", drills_due, name="drills_due"),
    path("drills/<int:pk>/", drill_detail, name="drill_detail"),
    path("drills/<int:pk>/record/", drill_record, name="drill_record"),
    path("drills/<int:pk>/cancel/", drill_cancel, name="drill_cancel"),
    path("drills/photos/<int:pk>/", drill_photo, name="drill_photo"),
]
