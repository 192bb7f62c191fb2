"""Preparedness pages: a use unit's safety management and its 安全管理员 (plan §2(7); 特种设备安全法 §13, §33;
TSG 08-2017 2.4), the regulators' list of use units without a valid safety manager, and the use registration
certificates (使用登记证, 特种设备安全法 §33) with their bulk import. Files are served only through the
permission-checked views below."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import access
from elevator_portal.exports import export_response
from elevator_portal.files import content_type_of
from elevator_portal.forms import add_service_errors, filter_data
from elevator_portal.pages import paginate, require
from elevator_portal.tabular import csv_stream
from registry.models import Organization, Person

from ..forms.safety import (
    CertificateFilterSet,
    CertificateForm,
    CertificateImportForm,
    SafetyAssignForm,
    SafetyManagementForm,
    SafetyManagerForm,
    UseUnitMissingFilterSet,
)
from ..selectors.safety import (
    certificate_elevators,
    elevators_without_manager,
    safety_management_of,
    safety_managers_of,
    safety_use_units,
    use_unit_elevators,
    use_units_missing_manager,
)
from ..services import certificates as certificate_services
from ..services import safety as safety_services

EXPIRING_DAYS = 30  # a manager's certificate shown amber this many days before it lapses


def _use_unit_or_404(user, pk) -> Organization:
    require(access.can_manage_preparedness(user))
    return get_object_or_404(safety_use_units(user=user), pk=pk)


def _manager_or_404(user, pk) -> Person:
    """A safety manager of a use unit the user manages."""
    require(access.can_manage_preparedness(user))
    person = get_object_or_404(Person.objects.select_related("organization", "user"), pk=pk, kind="safety_manager")
    if not access.can_manage_preparedness(user, person.organization):
        raise Http404
    return person


def _safety_url(use_unit: Organization) -> str:
    return f"{reverse('preparedness:safety')}?use_unit={use_unit.pk}"


# ---------------------------------------------------------------- safety management of one use unit


@login_required
def safety(request):
    """The use unit's safety management: body, principal, rules and budget; its managers with their certificates
    and elevators; its elevators in use that no valid manager answers for. A regulator picks a use unit of the
    scope (?use_unit=<id>)."""
    user = request.user
    require(access.can_manage_preparedness(user))
    units = safety_use_units(user=user)
    chosen = request.GET.get("use_unit", "")
    if not chosen and not access.is_regulator(user):
        chosen = str(user.organization_id)  # a use unit manages its own
    if not chosen:
        text = request.GET.get("q", "").strip()
        matches = units.filter(name__contains=text) if text else units
        page, querystring = paginate(request, matches)
        return render(request, "preparedness/safety_pick.html", {"page": page, "querystring": querystring, "q": text})
    if not chosen.isdigit():
        raise Http404
    use_unit = _use_unit_or_404(user, int(chosen))
    today = timezone.localdate()
    management = safety_management_of(use_unit)
    form = SafetyManagementForm(
        initial={
            "body_name": management.body_name if management else "",
            "principal": management.principal if management else "",
            "annual_budget": management.annual_budget if management else None,
        },
        has_document=bool(management and management.rules_document),
    )
    return _render_safety(request, use_unit=use_unit, management=management, form=form, today=today)


def _render_safety(request, *, use_unit, management, form, today, status=200):
    managers = list(safety_managers_of(use_unit))
    for person in managers:
        person.lapsed = person.certificate_valid_until < today
        person.expiring = not person.lapsed and (person.certificate_valid_until - today).days <= EXPIRING_DAYS
    return render(
        request,
        "preparedness/safety_page.html",
        {
            "use_unit": use_unit,
            "management": management,
            "form": form,
            "managers": managers,
            "uncovered": list(elevators_without_manager(use_unit, today=today)),
            "is_regulator": access.is_regulator(request.user),
        },
        status=status,
    )


@login_required
@require_POST
def safety_body(request, use_unit_id):
    """Save the body, principal, budget and rules document (特种设备安全法 §13)."""
    use_unit = _use_unit_or_404(request.user, use_unit_id)
    management = safety_management_of(use_unit)
    form = SafetyManagementForm(
        request.POST, request.FILES, has_document=bool(management and management.rules_document)
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            safety_services.safety_management_save(
                user=request.user,
                use_unit=use_unit,
                body_name=data["body_name"],
                principal=data["principal"],
                rules_document=data["rules_document"],
                annual_budget=data["annual_budget"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("安全管理机构信息已保存。请确认每部在用电梯都有持证安全管理员负责。"))
            return redirect(_safety_url(use_unit))
    return _render_safety(
        request, use_unit=use_unit, management=management, form=form, today=timezone.localdate(), status=400
    )


@login_required
def safety_rules_document(request, use_unit_id):
    """The rules document, to those who manage the use unit's safety management."""
    use_unit = _use_unit_or_404(request.user, use_unit_id)
    management = safety_management_of(use_unit)
    if management is None or not management.rules_document:
        raise Http404
    handle = management.rules_document.open("rb")
    return FileResponse(handle, content_type=content_type_of(handle), filename=f"safety-rules-{use_unit.pk}.pdf")


def _manager_form_page(request, *, use_unit, form, person=None, status=200):
    return render(
        request,
        "preparedness/safety_manager_form.html",
        {"use_unit": use_unit, "form": form, "person": person},
        status=status,
    )


def _designate(request, form, *, use_unit, person=None):
    data = form.cleaned_data
    return safety_services.safety_manager_designate(
        user=request.user,
        use_unit=use_unit,
        name=data["name"],
        certificate_no=data["certificate_no"],
        certificate_valid_until=data["certificate_valid_until"],
        phone=data["phone"],
        login=data["login"],
        elevators=list(data["elevators"]),
        person=person,
    )


@login_required
def safety_manager_new(request, use_unit_id):
    """Designate a 安全管理员; a new manager answers for all the unit's elevators unless unticked."""
    use_unit = _use_unit_or_404(request.user, use_unit_id)
    if request.method == "POST":
        form = SafetyManagerForm(request.POST, use_unit=use_unit)
        if form.is_valid():
            try:
                person = _designate(request, form, use_unit=use_unit)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("已指定安全管理员%(name)s。关联登录账号后，该账号在证书有效期内可确认维保记录。")
                    % {"name": person.name},
                )
                return redirect(_safety_url(use_unit))
        return _manager_form_page(request, use_unit=use_unit, form=form, status=400)
    form = SafetyManagerForm(use_unit=use_unit, initial={"elevators": list(use_unit_elevators(use_unit))})
    return _manager_form_page(request, use_unit=use_unit, form=form)


@login_required
def safety_manager_edit(request, pk):
    person = _manager_or_404(request.user, pk)
    use_unit = person.organization
    if request.method == "POST":
        form = SafetyManagerForm(request.POST, use_unit=use_unit)
        if form.is_valid():
            try:
                _designate(request, form, use_unit=use_unit, person=person)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("已更新安全管理员%(name)s的信息。") % {"name": form.cleaned_data["name"]})
                return redirect(_safety_url(use_unit))
        return _manager_form_page(request, use_unit=use_unit, form=form, person=person, status=400)
    form = SafetyManagerForm(
        use_unit=use_unit,
        initial={
            "name": person.name,
            "certificate_no": person.certificate_no,
            "certificate_valid_until": person.certificate_valid_until,
            "phone": person.phone,
            "login": person.user_id,
            "elevators": [a.elevator_id for a in person.safety_assignments.all()],
        },
    )
    return _manager_form_page(request, use_unit=use_unit, form=form, person=person)


@login_required
def safety_manager_assign(request, pk):
    """Which of the unit's elevators the manager answers for (TSG 08-2017 2.4)."""
    person = _manager_or_404(request.user, pk)
    use_unit = person.organization
    form = SafetyAssignForm(
        request.POST if request.method == "POST" else None,
        use_unit=use_unit,
        initial={"elevators": [a.elevator_id for a in person.safety_assignments.all()]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            safety_services.safety_manager_assign(
                user=request.user, person=person, elevators=list(form.cleaned_data["elevators"])
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已更新%(name)s负责的电梯。") % {"name": person.name})
            return redirect(_safety_url(use_unit))
    return render(
        request,
        "preparedness/safety_assign.html",
        {"use_unit": use_unit, "form": form, "person": person},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def safety_manager_withdraw(request, pk):
    person = _manager_or_404(request.user, pk)
    use_unit = person.organization
    try:
        safety_services.safety_manager_withdraw(user=request.user, person=person)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("已撤销%(name)s的安全管理员指定，其账号不能再确认维保记录。请确认其负责的电梯已有其他安全管理员。")
            % {"name": person.name},
        )
    return redirect(_safety_url(use_unit))


# ---------------------------------------------------------------- regulators: use units without a valid manager

MISSING_EXPORT = [
    ("使用单位", lambda o: o.name),
    ("所在区县", lambda o: o.district.name if o.district else ""),
    ("在用电梯数", lambda o: o.elevators_in_use or 0),
    ("安全管理员证书最后有效日", lambda o: o.last_certificate_day.isoformat() if o.last_certificate_day else ""),
    ("联系电话", lambda o: o.contact_phone),
]


@login_required
def safety_missing(request):
    """Use units of the regulator's scope with an elevator in use and no valid safety manager (plan §2(7))."""
    require(access.can_view_preparedness_overview(request.user))
    filterset = UseUnitMissingFilterSet(
        filter_data(request.GET),
        queryset=use_units_missing_manager(user=request.user, today=timezone.localdate()),
        user=request.user,
    )
    rows = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    if request.GET.get("export") in ("csv", "xlsx"):
        return export_response(
            queryset=rows, columns=MISSING_EXPORT, fmt=request.GET["export"], basename="safety-managers-missing"
        )
    page, querystring = paginate(request, rows)
    return render(
        request, "preparedness/safety_missing.html", {"filter": filterset, "page": page, "querystring": querystring}
    )


# ---------------------------------------------------------------- use registration certificates

CERTIFICATE_EXPORT = [
    ("注册代码", lambda e: e.registration_code),
    ("所在区县", lambda e: e.district.name),
    ("安装地址", lambda e: e.address),
    ("使用单位", lambda e: e.use_unit.name if e.use_unit else ""),
    ("状态", lambda e: e.get_status_display()),
    ("使用登记证编号", lambda e: e.use_certificate_no),
    ("登记机关", lambda e: e.use_certificate_authority),
    ("登记日期", lambda e: e.use_certificate_issued_on.isoformat() if e.use_certificate_issued_on else ""),
    ("扫描件", lambda e: "有" if e.use_certificate_scan else ""),
]


def _require_certificates(user) -> None:
    # The use unit keeps its own; regulators those of their scope (accounts.access "preparedness").
    require(access.can_manage_preparedness(user))


@login_required
def certificates(request):
    """Elevators of the user's scope with their 使用登记证; "missing": in use without one (特种设备安全法 §33)."""
    _require_certificates(request.user)
    filterset = CertificateFilterSet(
        filter_data(request.GET), queryset=certificate_elevators(user=request.user), user=request.user
    )
    rows = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    if request.GET.get("export") in ("csv", "xlsx"):
        return export_response(
            queryset=rows, columns=CERTIFICATE_EXPORT, fmt=request.GET["export"], basename="use-certificates"
        )
    page, querystring = paginate(request, rows)
    for e in page.object_list:
        e.can_edit = certificate_services.can_record_certificate(request.user, e)
        e.missing = e.status == "in_use" and not e.use_certificate_no
    return render(
        request,
        "preparedness/certificate_list.html",
        {"filter": filterset, "page": page, "querystring": querystring},
    )


@login_required
def certificate_edit(request, pk):
    _require_certificates(request.user)
    elevator = get_object_or_404(certificate_elevators(user=request.user), pk=pk)
    if not certificate_services.can_record_certificate(request.user, elevator):
        raise PermissionDenied(_("您只能登记本单位或本辖区使用单位电梯的使用登记证。"))
    has_scan = bool(elevator.use_certificate_scan)
    if request.method == "POST":
        form = CertificateForm(request.POST, request.FILES, has_scan=has_scan, elevator_type=elevator.elevator_type)
        if form.is_valid():
            data = form.cleaned_data
            try:
                certificate_services.use_certificate_record(
                    user=request.user,
                    elevator=elevator,
                    number=data["number"],
                    authority=data["authority"],
                    issued_on=data["issued_on"],
                    scan=data["scan"],
                )
            except ValidationError as exc:
                add_service_errors(
                    form,
                    exc,
                    fields={
                        "use_certificate_no": "number",
                        "use_certificate_authority": "authority",
                        "use_certificate_issued_on": "issued_on",
                        "use_certificate_scan": "scan",
                    },
                )
            else:
                messages.success(
                    request,
                    _("已登记电梯%(code)s的使用登记证。公众页面将显示“已登记”。")
                    % {"code": elevator.registration_code},
                )
                return redirect("preparedness:certificates")
        status = 400
    else:
        form = CertificateForm(
            initial={
                "number": elevator.use_certificate_no,
                "authority": elevator.use_certificate_authority,
                "issued_on": elevator.use_certificate_issued_on,
            },
            has_scan=has_scan,
        )
        status = 200
    return render(request, "preparedness/certificate_form.html", {"elevator": elevator, "form": form}, status=status)


@login_required
def certificate_scan(request, pk):
    """The certificate's scan, to those who see the elevator's certificate."""
    _require_certificates(request.user)
    elevator = get_object_or_404(certificate_elevators(user=request.user), pk=pk)
    if not elevator.use_certificate_scan:
        raise Http404
    handle = elevator.use_certificate_scan.open("rb")
    ext = elevator.use_certificate_scan.name.rsplit(".", 1)[-1]
    return FileResponse(
        handle, content_type=content_type_of(handle), filename=f"use-certificate-{elevator.registration_code}.{ext}"
    )


@login_required
def certificate_import(request):
    """Bulk import of certificates: all or nothing, every bad row reported."""
    _require_certificates(request.user)
    posted = request.method == "POST"
    form = CertificateImportForm(request.POST if posted else None, request.FILES if posted else None)
    errors = []
    if posted and form.is_valid():
        try:
            result = certificate_services.use_certificates_import(
                user=request.user, uploaded_file=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if not result.errors:
                messages.success(
                    request,
                    _("已导入%(n)d部电梯的使用登记证。可在列表中按“已登记”筛选核对。") % {"n": result.updated},
                )
                return redirect("preparedness:certificates")
            errors = result.errors
            form.add_error(
                None, _("文件中有%(n)d处错误，未导入任何数据。请按下表修改后重新上传。") % {"n": len(errors)}
            )
    return render(
        request,
        "preparedness/certificate_import.html",
        {"form": form, "errors": errors, "columns": certificate_services.IMPORT_COLUMNS},
        status=400 if form.errors else 200,
    )


@login_required
def certificate_import_template(request):
    _require_certificates(request.user)
    header = certificate_services.import_template_header()
    response = HttpResponse("".join(csv_stream(header, [])), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="use-certificates-template.csv"'
    return response


urlpatterns = [
    path("safety/", safety, name="safety"),
    path("safety/missing/", safety_missing, name="safety_missing"),
    path("safety/<int:use_unit_id>/body/", safety_body, name="safety_body"),
    path("safety/<int:use_unit_id>/rules/", safety_rules_document, name="safety_rules_document"),
    path("safety/<int:use_unit_id>/managers/new/", safety_manager_new, name="safety_manager_new"),
    path("safety/managers/<int:pk>/", safety_manager_edit, name="safety_manager_edit"),
    path("safety/managers/<int:pk>/elevators/", safety_manager_assign, name="safety_manager_assign"),
    path("safety/managers/<int:pk>/withdraw/", safety_manager_withdraw, name="safety_manager_withdraw"),
    path("certificates/", certificates, name="certificates"),
    path("certificates/import/", certificate_import, name="certificate_import"),
    path("certificates/import/template.csv", certificate_import_template, name="certificate_import_template"),
    path("certificates/<int:pk>/", certificate_edit, name="certificate_edit"),
    path("certificates/<int:pk>/scan/", certificate_scan, name="certificate_scan"),
]
