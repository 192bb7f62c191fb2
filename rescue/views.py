"""Pages of the rescue loop (docs/rules.md "Entrapment rescue loop"; plan §2(10); TSG T5002-2017 §5; 条例 §64):
the console of open incidents with its JSON feed and one-tap steps, the incident page, opening an incident from a
call to 96333, the firms' duty roster and the outbox of alarm messages. Thin: reads through rescue.selectors, writes
through rescue.services, every role decision through accounts.access."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import access
from elevator_portal.forms import add_service_errors
from elevator_portal.pages import paginate, require
from maintenance.faults.rules import arrival_minutes, arrived_within_limit, fault_limit_minutes
from maintenance.faults.services import stampable_steps
from maintenance.models import Fault
from notifications.choices import DeliveryState
from registry.models import Organization

from . import rules, selectors, services
from .choices import ReportSource
from .forms import CallForm, DutyShiftForm, PhoneReportForm
from .models import DutyShift

ACTIONS = ("acknowledge", "dispatched", "arrived", "released")


def _action_labels() -> dict[str, str]:
    return {"acknowledge": _("接警"), "dispatched": _("已派出"), "arrived": _("已到达"), "released": _("已解救")}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _elapsed_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


# The deadline's colour and its words (colour is never the only signal).
STATUS_LABELS = {
    "ok": ("success", gettext_lazy("时限内")),
    "warn": ("warning", gettext_lazy("即将超时")),
    "late": ("danger", gettext_lazy("已超时")),
    "arrived_ok": ("success", gettext_lazy("按时到场")),
    "arrived_late": ("danger", gettext_lazy("超时到场")),
}


def _open_row(fault: Fault, *, now: datetime, can_act: bool) -> dict:
    """What the console shows of one open incident (no query: the elevator and its district are loaded)."""
    limit = fault_limit_minutes(fault)
    deadline = rules.arrival_deadline(fault)
    warn_at = rules.arrival_warning_at(fault)
    stage, stage_label = rules.incident_stage(fault)
    status = rules.deadline_status(fault, now=now)
    labels = _action_labels()
    actions = []
    if can_act:
        if fault.acknowledged_at is None:
            actions.append("acknowledge")
        actions += stampable_steps(fault)
    elevator = fault.elevator
    return {
        "id": fault.pk,
        "url": reverse("rescue:incident", args=[fault.pk]),
        "act_url": reverse("rescue:act", args=[fault.pk]),
        "registration_code": elevator.registration_code,
        "rescue_code": elevator.rescue_code or "",
        "address": elevator.address,
        "building": elevator.building_name,
        "district": elevator.district.name,
        "firm": fault.firm.name if fault.firm_id else "",
        "reports": fault.reports,
        "trapped": fault.trapped_people,
        "reported_at": fault.reported_at,
        "acknowledged_at": fault.acknowledged_at,
        "dispatched_at": fault.dispatched_at,
        "arrived_at": fault.arrived_at,
        "stage": stage,
        "stage_label": stage_label,
        "limit_minutes": limit,
        "deadline": deadline,
        "warn_at": warn_at,
        "status": status,
        "status_colour": STATUS_LABELS[status][0],
        "status_label": str(STATUS_LABELS[status][1]),
        "elapsed": _elapsed_text(((fault.released_at or now) - fault.reported_at).total_seconds()),
        "actions": [(a, labels[a]) for a in actions],
        # What changes the row's markup (the clock alone changes nothing the server renders: the page counts).
        "version": f"{stage}|{fault.reports}|{fault.trapped_people}|{','.join(actions)}",
    }


def _recent_row(fault: Fault) -> dict:
    return {
        "id": fault.pk,
        "url": reverse("rescue:incident", args=[fault.pk]),
        "registration_code": fault.elevator.registration_code,
        "rescue_code": fault.elevator.rescue_code or "",
        "address": fault.elevator.address,
        "district": fault.elevator.district.name,
        "reported_at": fault.reported_at,
        "released_at": fault.released_at,
        "duration": _elapsed_text((fault.released_at - fault.reported_at).total_seconds()),
        "arrival_minutes": arrival_minutes(fault),
        "within_limit": arrived_within_limit(fault) is True,  # TSG T5002 §5, the one rule (maintenance.faults.rules)
    }


def _console_rows(user, now: datetime) -> tuple[list[dict], list[dict]]:
    """The open incidents and those released in the last 24 hours: two queries, plus one for a regulator's
    buttons (access.faults_user_may_update), whatever the number of rows."""
    open_faults = list(selectors.open_incidents_for(user, now=now))
    may_update = access.faults_user_may_update(user, open_faults)
    open_rows = [_open_row(f, now=now, can_act=f.pk in may_update) for f in open_faults]
    recent_rows = [_recent_row(f) for f in selectors.recent_incidents_for(user, now=now)[:100]]
    return open_rows, recent_rows


def _console_text() -> dict[str, str]:
    """The words the console's script writes (static/js/rescue-console.js), translated here."""
    return {
        "ok": str(STATUS_LABELS["ok"][1]),
        "warn": str(STATUS_LABELS["warn"][1]),
        "late": str(STATUS_LABELS["late"][1]),
        "sound_off": _("开启声音提醒"),
        "sound_on": _("声音提醒已开启"),
        "updated": _("更新于"),
        "offline": _("网络中断，正在重试……"),
        "login": _("无法获取最新情况，请刷新页面或重新登录。"),
        "alarm_title": _("【新困人事件】"),
        "trapped": _("（被困 %(n)s 人）"),
        "close": _("关闭"),
        "failed": _("提交失败，请重试。"),
    }


@login_required
def console(request):
    """The rescue console: open incidents, live (static/js/rescue-console.js polls rescue:feed)."""
    require(access.can_view_rescue_console(request.user))
    now = timezone.now()
    open_rows, recent_rows = _console_rows(request.user, now)
    return render(
        request,
        "rescue/console.html",
        {
            "open_rows": open_rows,
            "recent_rows": recent_rows,
            "now": now,
            "warning_minutes": settings.RESCUE_ARRIVAL_WARNING_MINUTES,
            "can_open_by_phone": access.can_open_incidents_by_phone(request.user),
            "can_view_outbox": access.can_view_outbox(request.user),
            "can_view_roster": access.can_view_duty_roster(request.user),
            "console_url": reverse("rescue:console"),
            "console_text": _console_text(),
        },
    )


def _json_row(row: dict, html: str) -> dict:
    data = {key: value for key, value in row.items() if key not in ("actions",)}
    for key, value in data.items():
        if isinstance(value, datetime):
            data[key] = _iso(value)
    data["actions"] = [value for value, _label in row["actions"]]
    data["html"] = html
    return data


@never_cache
@login_required
def feed(request):
    """The console's JSON feed: the same rows as the page, with the server's time so that elapsed times count
    from the server's clock, not the browser's."""
    require(access.can_view_rescue_console(request.user))
    now = timezone.now()
    open_rows, recent_rows = _console_rows(request.user, now)
    console_url = reverse("rescue:console")
    return JsonResponse(
        {
            "now": _iso(now),
            "warning_minutes": settings.RESCUE_ARRIVAL_WARNING_MINUTES,
            "open": [
                _json_row(
                    row,
                    render_to_string(
                        "rescue/_open_row.html", {"row": row, "console_url": console_url}, request=request
                    ),
                )
                for row in open_rows
            ],
            "recent": [
                _json_row({**row, "actions": []}, render_to_string("rescue/_recent_row.html", {"row": row}))
                for row in recent_rows
            ],
        }
    )


def _wants_json(request) -> bool:
    return request.headers.get("x-requested-with") == "XMLHttpRequest" or "application/json" in request.headers.get(
        "accept", ""
    )


def _back(request, default: str):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


@login_required
@require_POST
def act(request, pk: int):
    """接警 / 已派出 / 已到达 / 已解救, stamped now; a refused step (a second tap) is an error message."""
    fault = get_object_or_404(selectors.incidents_for(request.user), pk=pk)
    action = request.POST.get("action", "")
    level, text = messages.SUCCESS, ""
    if action not in ACTIONS:
        level, text = messages.ERROR, _("未知的救援步骤。")
    else:
        try:
            if action == "acknowledge":
                services.incident_acknowledge(user=request.user, fault=fault)
                field = "acknowledged_at"
            else:
                services.incident_stamp(user=request.user, fault=fault, step=action)
                field = f"{action}_at"
        except PermissionDenied as exc:
            if _wants_json(request):
                return JsonResponse({"ok": False, "message": str(exc) or _("您没有权限。")}, status=403)
            raise
        except ValidationError as exc:
            level, text = messages.ERROR, "；".join(exc.messages)
        else:
            text = _("事件 #%(pk)d：%(label)s（%(time)s）。") % {
                "pk": fault.pk,
                "label": _action_labels()[action],
                "time": timezone.localtime(getattr(fault, field)).strftime("%H:%M:%S"),
            }
    if _wants_json(request):
        return JsonResponse({"ok": level == messages.SUCCESS, "message": text}, status=200)
    messages.add_message(request, level, text)
    return _back(request, reverse("rescue:console"))


def _timeline(fault: Fault, reports: list) -> list[dict]:
    """Reported, acknowledged, dispatched, arrived, released, each with who recorded it (the fault's history:
    the first version in which the time is set)."""
    history = list(fault.history.select_related("history_user").order_by("history_date", "history_id"))
    steps = [
        ("acknowledged_at", _("接警")),
        ("dispatched_at", _("派出")),
        ("arrived_at", _("到达")),
        ("released_at", _("解救")),
    ]
    first = reports[0] if reports else None
    reporter = fault.created_by or (first.created_by if first else None)
    rows = [
        {
            "label": _("报告"),
            "at": fault.reported_at,
            "who": reporter.get_full_name() or reporter.get_username() if reporter else "",
            "how": first.get_source_display() if first else fault.get_source_display(),
        }
    ]
    for field, label in steps:
        at = getattr(fault, field)
        who = next((h.history_user for h in history if getattr(h, field) is not None), None)
        rows.append(
            {"label": label, "at": at, "who": (who.get_full_name() or who.get_username()) if who else "", "how": ""}
        )
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def incident_detail(request, pk: int):
    """One incident: its timeline, every report, the call log, the escalation steps and who was told when."""
    fault = get_object_or_404(selectors.incidents_for(request.user).select_related("created_by"), pk=pk)
    user = request.user
    can_log = access.can_log_rescue_calls(user, fault)
    call_form = CallForm(request.POST or None, prefix="call") if can_log else None
    if request.method == "POST":
        require(can_log)
        if call_form.is_valid():
            try:
                services.incident_log_call(user=user, fault=fault, **call_form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(call_form, exc)
            else:
                messages.success(request, _("通话记录已保存。"))
                return redirect("rescue:incident", pk=fault.pk)
    reports = list(fault.incident_reports.select_related("created_by"))
    now = timezone.now()
    can_act = access.can_update_fault(user, fault)
    row = _open_row(fault, now=now, can_act=can_act and fault.released_at is None)
    can_view_outbox = access.can_view_outbox(user)
    outbox = (
        list(selectors.outbox_for(user).filter(subject_key=f"fault:{fault.pk}").order_by("created_at", "pk"))
        if can_view_outbox
        else []
    )
    return render(
        request,
        "rescue/incident.html",
        {
            "fault": fault,
            "row": row,
            "timeline": _timeline(fault, reports),
            "reports": reports,
            "show_reporters": access.can_see_incident_reporters(user, fault),
            "calls": list(fault.incident_calls.select_related("created_by")),
            "call_form": call_form,
            "steps": list(fault.rescue_steps.all()),
            "outbox": outbox,
            "can_view_outbox": can_view_outbox,
            "accident_minutes": settings.ENTRAPMENT_ACCIDENT_MINUTES,
            "is_open": fault.released_at is None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def incident_new(request):
    """A call to 96333: find the elevator by its rescue code, open an incident or join the one open."""
    require(access.can_open_incidents_by_phone(request.user))
    form = PhoneReportForm(request.POST or None, user=request.user, initial={"code": request.GET.get("code", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            joined = services.incident_report(
                elevator=data["elevator"],
                source=ReportSource.HOTLINE,
                user=request.user,
                reporter=data["reporter"],
                phone=data["phone"],
                note=data["note"],
                trapped_people=data["trapped_people"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc, fields={"elevator": "code"})
        else:
            fault = joined.fault
            if joined.created:
                names = sorted(
                    {
                        m.name or m.address
                        for m in selectors.outbox_for(request.user).filter(subject_key=f"fault:{fault.pk}")
                    }
                )
                told = "、".join(names) if names else _("（无可通知人员，请电话联系维保单位）")
                messages.success(
                    request,
                    _("已开启困人事件 #%(pk)d（%(address)s），已通知：%(told)s。")
                    % {"pk": fault.pk, "address": fault.elevator.address, "told": told},
                )
            else:
                messages.warning(
                    request,
                    _("该电梯已有未结束的困人事件 #%(pk)d，本次来电已并入（共 %(n)d 次报告），未重复派单。")
                    % {"pk": fault.pk, "n": fault.reports},
                )
            return redirect("rescue:incident", pk=fault.pk)
    return render(request, "rescue/new.html", {"form": form})


# ---------------------------------------------------------------- the duty roster (TSG T5002-2017 §5)


@login_required
def roster(request):
    """The firm's shifts, "on duty now" marked; regulators and the centre read the rosters of their scope."""
    user = request.user
    require(access.can_view_duty_roster(user))
    now = timezone.now()
    shifts = selectors.duty_shifts_for(user)
    firms = Organization.objects.filter(pk__in=shifts.values("firm_id")).order_by("name")
    firm_id = request.GET.get("firm", "")
    if firm_id.isdigit():
        shifts = shifts.filter(firm_id=int(firm_id))
    when = request.GET.get("when", "current")
    if when == "past":
        shifts = shifts.filter(ends_at__lte=now).order_by("-starts_at", "level", "name")
    elif when == "all":
        shifts = shifts.order_by("-starts_at", "level", "name")
    else:  # the shifts on now and to come, soonest first
        when = "current"
        shifts = shifts.filter(ends_at__gt=now).order_by("starts_at", "level", "name")
    page, querystring = paginate(request, shifts)
    can_manage = access.can_manage_duty_roster(user)
    return render(
        request,
        "rescue/roster.html",
        {
            "page": page,
            "querystring": querystring,
            "now": now,
            "firms": firms if not can_manage else [],
            "firm_id": firm_id,
            "when": when,
            "can_manage": can_manage,
            "on_duty_ids": {s.pk for s in page.object_list if s.starts_at <= now < s.ends_at},
        },
    )


def _shift_form_page(request, shift):
    user = request.user
    firm_id = shift.firm_id if shift.pk else user.organization_id
    require(access.can_manage_duty_roster(user, firm_id))
    initial = {}
    if not shift.pk:
        start = timezone.localtime().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        initial = {"starts_at": start, "ends_at": start + timedelta(hours=12)}
    form = DutyShiftForm(request.POST or None, instance=shift, initial=initial, firm_id=firm_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.duty_shift_save(user=user, shift=form.instance)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("值班安排已保存：%(shift)s。") % {"shift": form.instance})
            return redirect("rescue:roster")
    return render(request, "rescue/shift_form.html", {"form": form, "shift": shift})


@login_required
@require_http_methods(["GET", "POST"])
def shift_new(request):
    return _shift_form_page(request, DutyShift())


@login_required
@require_http_methods(["GET", "POST"])
def shift_edit(request, pk: int):
    return _shift_form_page(request, get_object_or_404(selectors.duty_shifts_for(request.user), pk=pk))


@login_required
@require_http_methods(["GET", "POST"])
def shift_delete(request, pk: int):
    shift = get_object_or_404(selectors.duty_shifts_for(request.user), pk=pk)
    require(access.can_manage_duty_roster(request.user, shift.firm_id))
    if request.method == "POST":
        services.duty_shift_delete(user=request.user, shift=shift)
        messages.success(request, _("已删除值班安排：%(shift)s。") % {"shift": shift})
        return redirect("rescue:roster")
    return render(request, "rescue/shift_delete.html", {"shift": shift})


# ---------------------------------------------------------------- the outbox (who was told, and when)


@login_required
def outbox(request):
    """The alarm messages and their delivery, for regulators and the centre (docs/rules.md "Entrapment rescue
    loop": a message is retried until its channel takes it)."""
    require(access.can_view_outbox(request.user))
    rows = selectors.outbox_for(request.user).order_by("-created_at", "-pk")
    state = request.GET.get("state", "")
    if state in DeliveryState.values:
        rows = rows.filter(state=state)
    q = request.GET.get("q", "").strip()
    if q.isdigit():
        rows = rows.filter(subject_key=f"fault:{q}")
    elif q:
        rows = rows.filter(Q(name__icontains=q) | Q(title__icontains=q))
    page, querystring = paginate(request, rows)
    for message in page.object_list:
        key = message.subject_key
        message.fault_id = int(key[6:]) if key.startswith("fault:") and key[6:].isdigit() else None
    return render(
        request,
        "rescue/outbox.html",
        {"page": page, "querystring": querystring, "state": state, "q": q, "states": DeliveryState.choices},
    )
