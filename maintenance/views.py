"""Pages of maintenance: the phone form for a visit, confirmation, corrections, contracts, integrity checks."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import access
from elevator_portal.files import content_type_of
from elevator_portal.forms import add_service_errors, filter_data
from elevator_portal.pages import paginate
from registry.choices import OrganizationKind
from registry.models import Organization

from . import integrity, services
from .choices import RecordStatus, Tier
from .filtersets import MaintenanceRecordFilterSet
from .forms import ContractForm, DateRangeForm, RecordForm
from .models import Attachment
from .selectors import contract_list, record_list


@login_required
def records(request):
    """Records in the user's scope, filtered as `/api/v1/maintenance-records/` filters them."""
    # Those who confirm records start from the ones awaiting confirmation (TSG T5002-2017).
    defaults = {"status": RecordStatus.SUBMITTED} if access.can_confirm_record(request.user) else None
    filterset = MaintenanceRecordFilterSet(
        filter_data(request.GET, defaults=defaults), queryset=record_list(user=request.user)
    )
    page, querystring = paginate(request, filterset.qs)
    return render(
        request,
        "maintenance/records.html",
        {
            "page": page,
            "querystring": querystring,
            "filter": filterset,
            "statuses": RecordStatus.choices,
            "can_create": access.can_create_maintenance_record(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def record_new(request):
    """The phone page a worker fills in at the elevator (one visit)."""
    if not access.can_create_maintenance_record(request.user):
        raise PermissionDenied(_("只有维保单位人员可以上传维保记录。"))
    corrects = None
    if request.GET.get("corrects"):
        # A record id; anything else names no record (404, never a server error).
        if not request.GET["corrects"].isdigit():
            raise Http404
        corrects = get_object_or_404(record_list(user=request.user), pk=request.GET["corrects"])
    tier = request.POST.get("tier") or request.GET.get("tier") or (corrects.tier if corrects else Tier.HALF_MONTHLY)
    if tier not in Tier.values:
        tier = Tier.HALF_MONTHLY
    now = timezone.localtime().replace(second=0, microsecond=0)
    initial = {
        "tier": tier,
        "started_at": now - timedelta(minutes=45),
        "ended_at": now,
        "elevator_code": request.GET.get("elevator", corrects.elevator.registration_code if corrects else ""),
    }
    person = getattr(request.user, "person", None)
    if person is not None:
        initial.update(workers=[person], signed_by=person)
    form = RecordForm(
        request.POST or None, request.FILES or None, firm=request.user.organization, tier=tier, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        uploads = [services.UploadedFile(name=f.name, data=f.read()) for f in data["attachments"]]
        try:
            record = services.record_create(
                user=request.user,
                elevator=data["elevator_code"],
                tier=data["tier"],
                started_at=data["started_at"],
                ended_at=data["ended_at"],
                workers=list(data["workers"]),
                signed_by=data["signed_by"],
                items=form.item_results(),
                attachments=uploads,
                note=data["note"],
                corrects=corrects,
            )
        except PermissionDenied as exc:
            form.add_error("elevator_code", str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("维保记录已上传，等待使用单位确认。"))
            return redirect("maintenance:record_detail", pk=record.pk)
    return render(
        request,
        "maintenance/record_form.html",
        {"form": form, "tier": tier, "tiers": Tier.choices, "corrects": corrects},
    )


@login_required
def record_detail(request, pk):
    record = get_object_or_404(
        record_list(user=request.user).prefetch_related("workers", "items__item", "attachments", "corrections"), pk=pk
    )
    return render(
        request,
        "maintenance/record_detail.html",
        {
            "record": record,
            "can_confirm": record.status == RecordStatus.SUBMITTED and access.can_confirm_record(request.user, record),
            # TSG T5002-2017: the use unit's staff learn why the button is missing (not its certified 安全管理员).
            "confirm_refused": record.status == RecordStatus.SUBMITTED
            and access.record_confirm_refusal(request.user, record),
            "can_correct": access.can_amend_record(request.user, record),
            "can_delete": record.status == RecordStatus.SUBMITTED and access.can_amend_record(request.user, record),
        },
    )


@login_required
@require_POST
def record_confirm(request, pk):
    record = get_object_or_404(record_list(user=request.user), pk=pk)
    try:
        services.record_confirm(user=request.user, record=record)
        messages.success(request, _("已确认该维保记录。确认后记录不能再修改。"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("maintenance:record_detail", pk=pk)


@login_required
@require_POST
def record_delete(request, pk):
    record = get_object_or_404(record_list(user=request.user), pk=pk)
    try:
        services.record_delete(user=request.user, record=record)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("maintenance:record_detail", pk=pk)
    messages.success(request, _("维保记录已删除。"))
    return redirect("maintenance:records")


@login_required
def attachment_download(request, pk):
    """Photos and PDFs go only to those who may see the record (accounts.access)."""
    attachment = get_object_or_404(
        Attachment.objects.filter(record__in=access.maintenance_records_for(request.user)), pk=pk
    )
    handle = attachment.file.open("rb")
    return FileResponse(handle, content_type=content_type_of(handle), filename=attachment.original_name)


@login_required
def contracts(request):
    page, querystring = paginate(request, contract_list(user=request.user))
    return render(
        request,
        "maintenance/contracts.html",
        {"page": page, "querystring": querystring, "can_create": access.can_manage_contracts(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def contract_new(request):
    """Register a contract: a use unit for itself, a regulator for a use unit in its scope, which it picks first
    (`?use_unit=<id>`; the form posts back to the same address)."""
    if not access.can_manage_contracts(request.user):
        raise PermissionDenied(_("维保合同由使用单位或监管部门登记。"))
    use_units = access.contract_use_units_for(
        request.user, Organization.objects.filter(kind=OrganizationKind.USE_UNIT, is_active=True)
    )
    picked = request.GET.get("use_unit", "")
    if picked:
        use_unit = get_object_or_404(use_units, pk=picked) if picked.isdigit() else None
    else:
        first_two = list(use_units[:2])
        use_unit = first_two[0] if len(first_two) == 1 else None
    if use_unit is None:
        return render(request, "maintenance/contract_use_unit.html", {"use_units": use_units})
    form = ContractForm(request.POST or None, use_unit=use_unit)
    if request.method == "POST" and form.is_valid():
        try:
            contract = services.contract_create(
                user=request.user,
                use_unit=use_unit,
                **{**form.cleaned_data, "elevators": list(form.cleaned_data["elevators"])},
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("维保合同%(no)s已登记。") % {"no": contract.number})
            return redirect("maintenance:contracts")
    return render(request, "maintenance/contract_form.html", {"form": form, "use_unit": use_unit})


@login_required
@require_POST
def contract_terminate(request, pk):
    contract = get_object_or_404(contract_list(user=request.user), pk=pk)
    try:
        services.contract_terminate(user=request.user, contract=contract)
        messages.success(request, _("维保合同%(no)s已终止。") % {"no": contract.number})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("maintenance:contracts")


@login_required
def integrity_checks(request):
    """Regulators: short visits, one photo on two records, one worker in two places at once."""
    if not access.is_regulator(request.user):
        raise PermissionDenied(_("您没有权限访问此页面。"))
    today = timezone.localdate()
    form = DateRangeForm(request.GET or None)
    since, until = today - timedelta(days=30), today
    if form.is_valid():
        since = form.cleaned_data["since"] or since
        until = form.cleaned_data["until"] or until
    window = {"user": request.user, "since": since, "until": until}
    return render(
        request,
        "maintenance/integrity.html",
        {
            "form": form,
            "since": since,
            "until": until,
            "short": list(integrity.short_visits(**window)[:200]),
            "reused": integrity.reused_photos(**window),
            "overlaps": integrity.overlapping_workers(**window),
        },
    )
