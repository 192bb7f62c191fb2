"""Preparedness pages: elevator safety liability insurance (电梯安全责任保险, plan §2(12)).

Policies and claims are kept by the insured use unit and by regulators for the use units of their scope
(accounts.access.can_manage_preparedness); the same users see them (access.insurance_policies_for / _claims_for), so
a maintenance firm, an inspection agency, a department or the 96333 centre get 403. The list of elevators in use
without cover, with the coverage rate by district, is the regulators' (access.can_view_preparedness_overview).
"""

import tempfile
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404
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
from elevator_portal.tabular import TableError, read_table, xlsx_file
from registry.choices import OrganizationKind
from registry.models import Elevator, Organization

from ..choices import ClaimStatus
from ..files import file_cap_mb
from ..forms.insurance import (
    ClaimFilterSet,
    ClaimForm,
    ClaimStatusForm,
    PolicyFilterSet,
    PolicyForm,
    PolicyImportForm,
    UninsuredFilterSet,
)
from ..selectors import insurance as selectors
from ..services import insurance as services

EXPORTS = ("csv", "xlsx")


def _may_see_insurance(user) -> None:
    """Policies and claims are for those who keep them: the use units and regulators (access)."""
    if not access.can_manage_preparedness(user):
        raise PermissionDenied(_("电梯安全责任保险由使用单位和监管部门管理。"))


def _codes(policy) -> str:
    return "、".join(sorted(e.registration_code for e in policy.elevators.all()))


POLICY_COLUMNS = [
    (_("保险公司"), lambda p: p.insurer),
    (_("保单号"), lambda p: p.policy_no),
    (_("被保险人"), lambda p: p.insured.name),
    (_("区县"), lambda p: p.insured.district.name if p.insured.district else ""),
    (_("承保电梯注册代码"), _codes),
    (_("每人赔偿限额"), lambda p: p.cover_per_person),
    (_("每次事故赔偿限额"), lambda p: p.cover_per_accident),
    (_("保险起期"), lambda p: p.starts_on.isoformat()),
    (_("保险止期"), lambda p: p.ends_on.isoformat()),
]
CLAIM_COLUMNS = [
    (_("保险公司"), lambda c: c.policy.insurer),
    (_("保单号"), lambda c: c.policy.policy_no),
    (_("被保险人"), lambda c: c.policy.insured.name),
    (_("电梯注册代码"), lambda c: c.elevator.registration_code),
    (_("出险日期"), lambda c: c.occurred_on.isoformat()),
    (_("报案日期"), lambda c: c.claimed_on.isoformat()),
    (_("索赔金额"), lambda c: c.amount),
    (_("状态"), lambda c: c.get_status_display()),
    (_("赔付金额"), lambda c: "" if c.paid_amount is None else c.paid_amount),
    (_("说明"), lambda c: c.note),
]
UNINSURED_COLUMNS = [
    (_("注册代码"), lambda e: e.registration_code),
    (_("区县"), lambda e: e.district.name),
    (_("安装地址"), lambda e: e.address),
    (_("楼宇/小区名称"), lambda e: e.building_name),
    (_("使用单位"), lambda e: e.use_unit.name if e.use_unit else ""),
]


@login_required
def policies(request):
    """The policies of the user's scope: filters, search by number, export."""
    user = request.user
    _may_see_insurance(user)
    filterset = PolicyFilterSet(filter_data(request.GET), queryset=selectors.policy_list(user=user), request=request)
    fmt = request.GET.get("export")
    if fmt in EXPORTS:
        rows = filterset.qs.prefetch_related(
            Prefetch("elevators", queryset=Elevator.objects.only("id", "registration_code"))
        )
        return export_response(queryset=rows, columns=POLICY_COLUMNS, fmt=fmt, basename="insurance-policies")
    page, querystring = paginate(request, filterset.qs)
    return render(
        request,
        "preparedness/insurance_policies.html",
        {
            "page": page,
            "querystring": querystring,
            "filter": filterset,
            "today": timezone.localdate(),
            # Plan §2(12): a policy ending within INSURANCE_REMINDER_DAYS shows as ending soon (as on compliance).
            "expiring_until": timezone.localdate() + timedelta(days=settings.INSURANCE_REMINDER_DAYS),
            "can_create": access.can_manage_preparedness(user),
            "can_see_uninsured": access.can_view_preparedness_overview(user),
        },
    )


def _use_units(user):
    return access.preparedness_use_units_for(
        user, Organization.objects.filter(kind=OrganizationKind.USE_UNIT, is_active=True)
    ).order_by("name")


def _form_data(form) -> dict:
    data = dict(form.cleaned_data)
    data["elevators"] = list(data["elevators"])
    data["document"] = data.get("document") or None
    return data


@login_required
@require_http_methods(["GET", "POST"])
def policy_new(request):
    """Register a policy: a use unit its own, a regulator one of a use unit of its scope, picked first
    (`?use_unit=<id>`; the form posts back to the same address)."""
    user = request.user
    _may_see_insurance(user)
    use_units = _use_units(user)
    picked = request.GET.get("use_unit", "")
    if picked:
        if not picked.isdigit():
            raise Http404
        insured = get_object_or_404(use_units, pk=picked)
    else:
        first_two = list(use_units[:2])
        insured = first_two[0] if len(first_two) == 1 else None
    if insured is None:
        return render(request, "preparedness/insurance_use_unit.html", {"use_units": use_units})
    form = PolicyForm(request.POST or None, request.FILES or None, user=user, insured=insured)
    if request.method == "POST" and form.is_valid():
        try:
            policy = services.policy_register(user=user, insured=insured, **_form_data(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("保单%(no)s已登记，承保%(n)d台电梯；到期前%(days)d天系统将提醒续保。")
                % {"no": policy.policy_no, "n": policy.elevators.count(), "days": _reminder_days()},
            )
            return redirect("preparedness:policy_detail", pk=policy.pk)
    return render(
        request,
        "preparedness/insurance_policy_form.html",
        {
            "form": form,
            "insured": insured,
            "policy": None,
            "file_cap_mb": file_cap_mb(),
            "file_again": bool(form.errors and request.FILES.get("document")),
        },
    )


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:g}"


def _reminder_days() -> int:
    return settings.INSURANCE_REMINDER_DAYS


@login_required
def policy_detail(request, pk: int):
    user = request.user
    _may_see_insurance(user)
    policy = get_object_or_404(selectors.policy_list(user=user), pk=pk)
    today = timezone.localdate()
    return render(
        request,
        "preparedness/insurance_policy_detail.html",
        {
            "policy": policy,
            "in_force": policy.in_force_on(today),
            "today": today,
            "elevators": selectors.policy_elevators(policy=policy),
            "claims": selectors.claim_list(user=user).filter(policy=policy),
            "can_edit": access.can_manage_preparedness(user, policy.insured),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request, pk: int):
    user = request.user
    _may_see_insurance(user)
    policy = get_object_or_404(selectors.policy_list(user=user), pk=pk)
    if not access.can_manage_preparedness(user, policy.insured):
        raise PermissionDenied(_("保单由被保险的使用单位或其辖区监管部门修改。"))
    initial = {
        "insurer": policy.insurer,
        "policy_no": policy.policy_no,
        "elevators": list(policy.elevators.values_list("pk", flat=True)),
        "cover_per_person": policy.cover_per_person,
        "cover_per_accident": policy.cover_per_accident,
        "starts_on": policy.starts_on,
        "ends_on": policy.ends_on,
    }
    form = PolicyForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        user=user,
        insured=policy.insured,
        has_document=bool(policy.document),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_update(user=user, policy=policy, **_form_data(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("保单%(no)s已更新。") % {"no": form.cleaned_data["policy_no"]})
            return redirect("preparedness:policy_detail", pk=policy.pk)
    return render(
        request,
        "preparedness/insurance_policy_form.html",
        {
            "form": form,
            "insured": policy.insured,
            "policy": policy,
            "file_cap_mb": file_cap_mb(),
            "file_again": bool(form.errors and request.FILES.get("document")),
        },
    )


@login_required
def policy_document(request, pk: int):
    """The policy's scan, only to those who may see the policy (never through MEDIA_URL)."""
    _may_see_insurance(request.user)
    policy = get_object_or_404(selectors.policy_list(user=request.user), pk=pk)
    if not policy.document:
        raise Http404(_("该保单没有上传保单文件。"))
    handle = policy.document.open("rb")
    return FileResponse(handle, content_type=content_type_of(handle), filename=f"policy-{policy.policy_no}.pdf")


@login_required
@require_http_methods(["GET", "POST"])
def claim_new(request, pk: int):
    """File a claim under a policy, picking the elevator it covers and the fault or accident behind it."""
    user = request.user
    _may_see_insurance(user)
    policy = get_object_or_404(selectors.policy_list(user=user), pk=pk)
    if not access.can_manage_preparedness(user, policy.insured):
        raise PermissionDenied(_("理赔由被保险的使用单位或其辖区监管部门登记。"))
    form = ClaimForm(
        request.POST or None,
        initial={"claimed_on": timezone.localdate()},
        elevators=selectors.claimable_elevators(policy=policy),
        faults=selectors.policy_faults(user=user, policy=policy),
        accidents=selectors.policy_accidents(policy=policy),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.claim_file(user=user, policy=policy, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("理赔已登记（已报案）。保险公司答复后，请在保单页更新理赔状态（受理、赔付或拒赔）。")
            )
            return redirect("preparedness:policy_detail", pk=policy.pk)
    return render(request, "preparedness/insurance_claim_form.html", {"form": form, "policy": policy})


@login_required
@require_http_methods(["GET", "POST"])
def claim_status(request, pk: int):
    user = request.user
    _may_see_insurance(user)
    claim = get_object_or_404(selectors.claim_list(user=user), pk=pk)
    if not access.can_manage_preparedness(user, claim.policy.insured):
        raise PermissionDenied(_("理赔状态由被保险的使用单位或其辖区监管部门更新。"))
    form = ClaimStatusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.claim_update_status(user=user, claim=claim, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("理赔状态已更新为“%(s)s”。") % {"s": ClaimStatus(form.cleaned_data["status"]).label}
            )
            return redirect("preparedness:policy_detail", pk=claim.policy_id)
    return render(request, "preparedness/insurance_claim_status.html", {"form": form, "claim": claim})


@login_required
def claims(request):
    user = request.user
    _may_see_insurance(user)
    filterset = ClaimFilterSet(filter_data(request.GET), queryset=selectors.claim_list(user=user))
    fmt = request.GET.get("export")
    if fmt in EXPORTS:
        return export_response(queryset=filterset.qs, columns=CLAIM_COLUMNS, fmt=fmt, basename="insurance-claims")
    page, querystring = paginate(request, filterset.qs)
    return render(
        request,
        "preparedness/insurance_claims.html",
        {
            "page": page,
            "querystring": querystring,
            "filter": filterset,
            "statuses": ClaimStatus.choices,
            "can_see_uninsured": access.can_view_preparedness_overview(user),
        },
    )


@login_required
def uninsured(request):
    """The regulators' list of elevators in use without a policy in force today, with the coverage rate by
    district on top (the same rule, preparedness.rules.insured_exists: the list of a district has exactly the
    number of elevators its figure says are uninsured)."""
    user = request.user
    if not access.can_view_preparedness_overview(user):
        raise PermissionDenied(_("未投保电梯清单仅供监管部门查看。"))
    today = timezone.localdate()
    filterset = UninsuredFilterSet(
        filter_data(request.GET), queryset=selectors.uninsured_elevators(user=user, today=today), request=request
    )
    if filterset.is_bound and not filterset.is_valid():
        raise Http404(_("没有这个区县，或不在您的辖区内。"))
    fmt = request.GET.get("export")
    if fmt in EXPORTS:
        return export_response(
            queryset=filterset.qs, columns=UNINSURED_COLUMNS, fmt=fmt, basename="uninsured-elevators"
        )
    page, querystring = paginate(request, filterset.qs)
    return render(
        request,
        "preparedness/insurance_uninsured.html",
        {
            "page": page,
            "querystring": querystring,
            "filter": filterset,
            "coverage": selectors.coverage_by_district(user=user, today=today),
            "today": today,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def policy_import(request):
    """Bulk import of policies from XLSX/CSV: all or nothing, every bad row reported."""
    user = request.user
    _may_see_insurance(user)
    form = PolicyImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > settings.IMPORT_MAX_FILE_BYTES:
                raise TableError(_("文件不能超过%(mb)sMB。") % {"mb": _mb(settings.IMPORT_MAX_FILE_BYTES)})
            rows = read_table(upload, upload.name)
            report = services.policies_import(user=user, rows=rows)
        except TableError as exc:
            form.add_error("file", str(exc))
        else:
            if report.errors:
                errors = report.errors
                form.add_error(
                    "file",
                    _("文件中有%(n)d处错误，未导入任何保单。请按下表更正后重新选择文件上传。") % {"n": len(errors)},
                )
            else:
                messages.success(
                    request,
                    _("已导入%(n)d份保单；到期前%(days)d天系统将提醒续保。")
                    % {"n": report.created, "days": _reminder_days()},
                )
                return redirect("preparedness:policies")
    return render(
        request,
        "preparedness/insurance_import.html",
        {
            "form": form,
            "errors": errors,
            "columns": services.POLICY_COLUMNS,
            "max_mb": _mb(settings.IMPORT_MAX_FILE_BYTES),
            "max_rows": settings.IMPORT_MAX_ROWS,
        },
    )


@login_required
def policy_import_template(request):
    """An XLSX with the import's header and one example row."""
    _may_see_insurance(request.user)
    example = [
        "中国人民财产保险股份有限公司攀枝花市分公司",
        "PDAA2026510400000001",
        "某某物业服务有限公司",
        "31105104022015030001、31105104022015030002",
        "500000",
        "2000000",
        "2026-01-01",
        "2026-12-31",
    ]
    spool = tempfile.TemporaryFile()
    xlsx_file(services.import_template_header(), [example], spool)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename="insurance-policies-template.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


urlpatterns = [
    path("insurance/", policies, name="policies"),
    path("insurance/new/", policy_new, name="policy_new"),
    path("insurance/<int:pk>/", policy_detail, name="policy_detail"),
    path("insurance/<int:pk>/edit/", policy_edit, name="policy_edit"),
    path("insurance/<int:pk>/document/", policy_document, name="policy_document"),
    path("insurance/<int:pk>/claims/new/", claim_new, name="claim_new"),
    path("insurance/claims/", claims, name="claims"),
    path("insurance/claims/<int:pk>/status/", claim_status, name="claim_status"),
    path("insurance/uninsured/", uninsured, name="uninsured"),
    path("insurance/import/", policy_import, name="policy_import"),
    path("insurance/import/template/", policy_import_template, name="policy_import_template"),
]
