"""Regulator pages of key monitoring (plan §2(4)) and the 三无 elevators (三(1)); and the public elevator page, which
reads the registry and preparedness (registered, insured) and so lives here, above both (docs/architecture.md)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import access
from elevator_portal.exports import export_response
from elevator_portal.pages import paginate
from preparedness.rules import insured_exists
from registry.choices import RiskAssessment
from registry.models import Elevator
from registry.selectors import elevator_by_public_code, elevator_list_queryset

from .filtersets import RiskFlagFilterSet
from .history import EventKind, elevator_history
from .selectors import SANWU_REASONS, risk_flag_list, risk_rules, sanwu_elevators
from .services import risk_flag_assess

KEY_EXPORT = [
    ("注册代码", lambda f: f.elevator.registration_code),
    ("所在区县", lambda f: f.elevator.district.name),
    ("安装地址", lambda f: f.elevator.address),
    ("场所类型", lambda f: f.elevator.get_building_kind_display()),
    ("使用单位", lambda f: f.elevator.use_unit.name if f.elevator.use_unit else ""),
    ("维保单位", lambda f: f.elevator.maintenance_firm.name if f.elevator.maintenance_firm else ""),
    ("投入使用日期", lambda f: f.elevator.commission_date.isoformat() if f.elevator.commission_date else ""),
    ("原因", lambda f: f.get_reason_display()),
    ("测量值", lambda f: f.measured),
    ("阈值", lambda f: f.threshold),
    ("首次发现", lambda f: f.first_seen.isoformat()),
    ("最近确认", lambda f: f.last_seen.isoformat()),
    ("评估状态", lambda f: f.get_assessment_display()),
    ("评估说明", lambda f: f.assessment_note),
]

SANWU_EXPORT = [
    ("注册代码", lambda e: e.registration_code),
    ("所在区县", lambda e: e.district.name),
    ("安装地址", lambda e: e.address),
    ("场所类型", lambda e: e.get_building_kind_display()),
    ("使用单位", lambda e: e.use_unit.name if e.use_unit else ""),
    ("维保单位", lambda e: e.maintenance_firm.name if e.maintenance_firm else ""),
    ("专项维修资金", lambda e: e.get_maintenance_fund_display()),
    ("状态", lambda e: e.get_status_display()),
    ("原因", lambda e: "；".join(str(label) for key, label in SANWU_REASONS.items() if getattr(e, key))),
]


def public_elevator(request, code):
    """The page behind the QR code in the car (/e/<code>/): status and warnings, never personal data.

    It also says whether the elevator is registered for use (使用登记, 特种设备安全法 §33) and insured
    (电梯安全责任保险, plan §2(12)), yes or no only: no certificate or policy number, no amount, no insurer. Two
    queries: the elevator with its district, use unit and firm, then whether a policy in force covers it
    (preparedness.rules)."""
    if not code.isdigit() or len(code) not in (5, 6, 20):
        raise Http404
    elevator = elevator_by_public_code(code)
    if elevator is None:
        raise Http404
    if code != elevator.registration_code:
        return redirect(elevator.get_public_url())
    insured = Elevator.objects.filter(pk=elevator.pk).filter(insured_exists(timezone.localdate())).exists()
    return render(
        request,
        "registry/public_elevator.html",
        {"elevator": elevator, "registered": bool(elevator.use_certificate_no), "insured": insured},
    )


def _require_regulator(user) -> None:
    # Key monitoring and the 三无 list are regulators' working lists (plan §2(4), 三(1)).
    if not access.is_regulator(user):
        raise PermissionDenied(_("您没有权限访问此页面。"))


@login_required
def key_list(request):
    """Elevators under key monitoring: the active flags in the user's scope, filtered, paged, exportable."""
    _require_regulator(request.user)
    filterset = RiskFlagFilterSet(
        request.GET or None,
        queryset=risk_flag_list(user=request.user)
        .filter(cleared_on__isnull=True)
        .order_by("elevator__registration_code", "reason"),
    )
    if request.GET.get("export") in ("csv", "xlsx") and filterset.is_valid():
        return export_response(
            queryset=filterset.qs, columns=KEY_EXPORT, fmt=request.GET["export"], basename="key-monitoring"
        )
    page, querystring = paginate(request, filterset.qs)
    return render(
        request,
        "monitoring/key_list.html",
        {
            "filter": filterset,
            "page": page,
            "querystring": querystring,
            "districts": access.districts_for(request.user),
            "assessments": RiskAssessment.choices,
            "rules": risk_rules(),
        },
    )


@login_required
@require_POST
def flag_assess(request, pk):
    """Set a flag's assessment status and note (regulators whose scope covers the elevator)."""
    _require_regulator(request.user)
    flag = get_object_or_404(risk_flag_list(user=request.user), pk=pk)
    try:
        risk_flag_assess(
            user=request.user, flag=flag, status=request.POST.get("assessment", ""), note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("评估已保存。"))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    return redirect(back or "monitoring:key_list")


@login_required
def sanwu_list(request):
    """The 三无 elevators (no use unit, no maintenance, no maintenance fund), beside those without valid inspection."""
    _require_regulator(request.user)
    reason = request.GET.get("reason") or None
    qs = sanwu_elevators(user=request.user, reason=reason)
    district_id = request.GET.get("district_id", "")
    if district_id.isdigit():
        qs = qs.filter(district_id=int(district_id))
    if request.GET.get("export") in ("csv", "xlsx"):
        return export_response(queryset=qs, columns=SANWU_EXPORT, fmt=request.GET["export"], basename="sanwu")
    page, querystring = paginate(request, qs)
    return render(
        request,
        "monitoring/sanwu.html",
        {
            "page": page,
            "querystring": querystring,
            "reasons": SANWU_REASONS,
            "reason": reason,
            "district_id": district_id,
            "districts": access.districts_for(request.user),
        },
    )


# ---------------------------------------------------------------- the elevator history (one elevator's whole story)


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
        "monitoring/elevator_history.html",
        {"elevator": elevator, "events": events, "kinds": kinds, "kind": kind},
    )
