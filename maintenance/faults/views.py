"""Pages for faults and entrapment rescue: the list, a phone form to report, the detail with one-tap rescue
steps, and the regulators' statistics (TSG T5002 §5; 条例 §64). Rules live in maintenance.faults."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts import access
from elevator_portal.exports import export_response
from elevator_portal.forms import BootstrapFormMixin, add_service_errors
from elevator_portal.pages import paginate, require
from maintenance.choices import FaultCause, FaultKind, FaultSource
from maintenance.filtersets import FaultFilterSet

from . import rules, selectors, services
from .exports import FAULT_EXPORT

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
# Rescue times to the second, as the one-tap stamps record them, so a time sent back as shown is unchanged.
SECONDS = forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"}, format="%Y-%m-%dT%H:%M:%S")


# ---------------------------------------------------------------- forms


class FaultReportForm(BootstrapFormMixin, forms.Form):
    """The phone form: the elevator is typed in by the code on its sign."""

    elevator_code = forms.CharField(
        label=gettext_lazy("注册代码或应急救援识别码"),
        max_length=20,
        help_text=gettext_lazy("电梯轿厢内标识上的20位注册代码或5-6位救援识别码。"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]*"}),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("故障类型"),
        choices=FaultKind.choices,
        initial=FaultKind.ENTRAPMENT,
        widget=forms.RadioSelect,
    )
    trapped_people = forms.IntegerField(
        label=gettext_lazy("被困人数"),
        min_value=0,
        max_value=100,
        initial=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    reported_at = forms.DateTimeField(label=gettext_lazy("报告时间"), widget=DATETIME)
    source = forms.ChoiceField(label=gettext_lazy("来源"), choices=FaultSource.choices)
    cause = forms.ChoiceField(label=gettext_lazy("故障原因"), choices=FaultCause.choices, initial=FaultCause.UNKNOWN)
    description = forms.CharField(
        label=gettext_lazy("情况说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_elevator_code(self):
        code = self.cleaned_data["elevator_code"].strip()
        elevator = selectors.elevator_for_code(user=self.user, code=code)
        if elevator is None:
            raise ValidationError(_("未找到代码为“%(code)s”的电梯，或该电梯不在您的管辖范围内。") % {"code": code})
        self.cleaned_data["elevator"] = elevator
        return code


class TimingsForm(BootstrapFormMixin, forms.Form):
    """Entering or correcting the rescue times after the fact."""

    dispatched_at = forms.DateTimeField(label=gettext_lazy("派出时间"), required=False, widget=SECONDS)
    arrived_at = forms.DateTimeField(label=gettext_lazy("到达时间"), required=False, widget=SECONDS)
    released_at = forms.DateTimeField(label=gettext_lazy("解救/恢复时间"), required=False, widget=SECONDS)
    cause = forms.ChoiceField(label=gettext_lazy("故障原因"), choices=FaultCause.choices)

    def changes(self, fault) -> dict:
        """The times the user changed: the form shows seconds, so a stored time (from the API, with fractions of
        a second) sent back as displayed is unchanged, not a correction."""
        data = {"cause": self.cleaned_data["cause"]}
        for field in services.STAMP_STEPS.values():
            value, stored = self.cleaned_data.get(field), getattr(fault, field)
            if value is not None and (stored is None or value != stored.replace(microsecond=0)):
                data[field] = value
        return data


class PeriodForm(BootstrapFormMixin, forms.Form):
    since = forms.DateField(label=gettext_lazy("起始日期"), widget=DATE)
    until = forms.DateField(label=gettext_lazy("截止日期"), widget=DATE)

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", _("截止日期不能早于起始日期。"))
        return data


# ---------------------------------------------------------------- pages


@login_required
def fault_list(request):
    """Faults in the user's scope, newest first, with late arrivals marked."""
    # Faults hang off elevators, so the pages are for those who see elevators (regulators, use units, firms).
    require(access.can_view_registry(request.user))
    filterset = FaultFilterSet(request.GET or None, queryset=selectors.fault_list(user=request.user))
    if request.GET.get("export") in ("csv", "xlsx") and filterset.is_valid():
        return export_response(
            queryset=filterset.qs, columns=FAULT_EXPORT, fmt=request.GET["export"], basename="faults"
        )
    page, querystring = paginate(request, filterset.qs)
    now = timezone.now()
    rows = [(fault, rules.rescue_status(fault, now=now)) for fault in page.object_list]
    return render(
        request,
        "maintenance/faults/list.html",
        {
            "page": page,
            "rows": rows,
            "querystring": querystring,
            "filter": filterset,
            "kinds": FaultKind.choices,
            "districts": access.districts_for(request.user),
        },
    )


def _initial_source(user) -> str:
    if access.works_for_firm(user):
        return FaultSource.FIRM
    return FaultSource.HOTLINE if access.is_regulator(user) else FaultSource.COMPLAINT


@login_required
@require_http_methods(["GET", "POST"])
def fault_new(request):
    # Whether this user may report for the elevator typed in is checked by fault_report (access.can_record_fault).
    require(access.can_view_registry(request.user))
    initial = {
        "reported_at": timezone.localtime().replace(second=0, microsecond=0),
        "source": _initial_source(request.user),
        "elevator_code": request.GET.get("elevator", ""),
    }
    form = FaultReportForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("elevator_code")
        try:
            fault = services.fault_report(user=request.user, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("已登记%(kind)s #%(pk)d。") % {"kind": fault.get_kind_display(), "pk": fault.pk}
            )
            return redirect("faults:detail", pk=fault.pk)
    return render(request, "maintenance/faults/form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def fault_detail(request, pk):
    """The fault with its rescue timeline; the buttons and the form are for those who may update it."""
    fault = get_object_or_404(selectors.fault_list(user=request.user).select_related("elevator__use_unit"), pk=pk)
    can_update = access.can_update_fault(request.user, fault)
    form = None
    if can_update:
        form = TimingsForm(
            request.POST or None,
            initial={
                "dispatched_at": fault.dispatched_at,
                "arrived_at": fault.arrived_at,
                "released_at": fault.released_at,
                "cause": fault.cause,
            },
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.fault_update_timings(user=request.user, fault=fault, **form.changes(fault))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("救援时间已保存。"))
                return redirect("faults:detail", pk=fault.pk)
    elif request.method == "POST":
        raise PermissionDenied(_("只有该故障的维保单位、电梯使用单位或辖区监管部门可以更新救援时间。"))
    entrapment = fault.kind == FaultKind.ENTRAPMENT
    labels = {
        "dispatched": _("已派出"),
        "arrived": _("已到达"),
        "released": _("已解救") if entrapment else _("已恢复运行"),
    }
    steps = [(step, labels[step]) for step in services.stampable_steps(fault)]
    return render(
        request,
        "maintenance/faults/detail.html",
        {
            "fault": fault,
            "rescue": rules.rescue_status(fault),
            "can_update": can_update,
            "form": form,
            "steps": steps,
            "accident_minutes": settings.ENTRAPMENT_ACCIDENT_MINUTES,
        },
    )


@login_required
@require_POST
def fault_stamp(request, pk):
    """已派出 / 已到达 / 已解救: stamp the current time on one step."""
    fault = get_object_or_404(selectors.fault_list(user=request.user), pk=pk)
    step = request.POST.get("step", "")
    try:
        services.fault_stamp(user=request.user, fault=fault, step=step)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        field = services.STAMP_STEPS[step]
        messages.success(
            request,
            _("已记录%(field)s：%(time)s。")
            % {
                "field": fault._meta.get_field(field).verbose_name,
                "time": timezone.localtime(getattr(fault, field)).strftime("%H:%M"),
            },
        )
    return redirect("faults:detail", pk=fault.pk)


@login_required
def fault_stats(request):
    """Regulators: entrapment rescue per district over a period, with the limit used and the late arrivals."""
    require(access.is_regulator(request.user))
    today = timezone.localdate()
    form = PeriodForm(request.GET or None, initial={"since": today - timedelta(days=364), "until": today})
    if form.is_bound and form.is_valid():
        since, until = form.cleaned_data["since"], form.cleaned_data["until"]
    else:
        since, until = today - timedelta(days=364), today
    stats = selectors.fault_statistics(user=request.user, since=since, until=until)
    now = timezone.now()
    late = [
        (fault, rules.rescue_status(fault, now=now))
        for fault in selectors.late_entrapments(user=request.user, since=since, until=until, now=now)[:100]
    ]
    return render(
        request,
        "maintenance/faults/stats.html",
        {"form": form, "stats": stats, "late": late, "accident_minutes": settings.ENTRAPMENT_ACCIDENT_MINUTES},
    )
