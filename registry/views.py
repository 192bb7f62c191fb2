"""Pages of the registry: the public lookup and elevator page, and the staff registry, import and export."""

import io

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods

from accounts import access
from elevator_portal.exports import export_response
from elevator_portal.pages import paginate, require
from elevator_portal.tabular import csv_stream

from .choices import ImportKind
from .exports import ELEVATOR_EXPORT, ORGANIZATION_EXPORT
from .filtersets import ElevatorFilterSet, OrganizationFilterSet
from .forms import ElevatorForm, ImportForm, LookupForm, OrganizationForm
from .imports import import_job_start, template_header
from .models import Elevator
from .selectors import elevator_by_public_code, elevator_list_queryset, elevator_public_lookup
from .services import elevator_save, organization_save

# ---------------------------------------------------------------- public pages (no account, no personal data)

LOOKUP_LIMIT = 20


def home(request):
    """Public home: look an elevator up by registration code, rescue code or address."""
    form = LookupForm(request.GET or None)
    results, more = None, False
    if form.is_valid() and form.cleaned_data["q"]:
        text = form.cleaned_data["q"].strip()
        found = list(elevator_public_lookup(text=text)[: LOOKUP_LIMIT + 1])
        if len(found) == 1:
            return redirect(found[0].get_public_url())
        results, more = found[:LOOKUP_LIMIT], len(found) > LOOKUP_LIMIT
    return render(request, "registry/home.html", {"form": form, "results": results, "more": more})


def _public_elevator_or_404(code: str) -> Elevator:
    if not code.isdigit() or len(code) not in (5, 6, 20):
        raise Http404
    elevator = elevator_by_public_code(code)
    if elevator is None:
        raise Http404
    return elevator


# The public elevator page itself (/e/<code>/) says whether the elevator is registered and insured, which preparedness
# knows: monitoring.views.public_elevator serves it at this address (docs/architecture.md, the layers).


@cache_control(max_age=86400, public=True)
def elevator_qr(request, code):
    """QR code (SVG or PNG) pointing at the elevator's public page."""
    elevator = _public_elevator_or_404(code)
    qr = segno.make(request.build_absolute_uri(elevator.get_public_url()), error="m")
    buffer = io.BytesIO()
    if request.GET.get("format") == "png":
        qr.save(buffer, kind="png", scale=8, border=2)
        return HttpResponse(buffer.getvalue(), content_type="image/png")
    qr.save(buffer, kind="svg", scale=8, border=2, xmldecl=False)
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")


def elevator_sign(request, code):
    """Printable A6 sign for the car: QR code, rescue code and the emergency hotline."""
    elevator = _public_elevator_or_404(code)
    return render(request, "registry/sign.html", {"elevator": elevator})


# ---------------------------------------------------------------- staff registry pages


def _filtered_list(request, filterset, *, columns, basename: str, template: str, **context):
    """A filtered, paginated list page whose `?export=csv|xlsx` downloads the same filtered rows."""
    if request.GET.get("export") in ("csv", "xlsx") and filterset.is_valid():
        return export_response(queryset=filterset.qs, columns=columns, fmt=request.GET["export"], basename=basename)
    page, querystring = paginate(request, filterset.qs)
    return render(request, template, {"filter": filterset, "page": page, "querystring": querystring, **context})


@login_required
def elevator_list(request):
    require(access.can_view_registry(request.user))
    return _filtered_list(
        request,
        ElevatorFilterSet(request.GET or None, queryset=elevator_list_queryset(user=request.user)),
        columns=ELEVATOR_EXPORT,
        basename="elevators",
        template="registry/elevator_list.html",
        can_create=access.can_change_elevator(request.user),
        can_import=access.can_import(request.user),
    )


@login_required
def elevator_detail(request, pk):
    require(access.can_view_registry(request.user))
    elevator = get_object_or_404(
        elevator_list_queryset(user=request.user).select_related("manufacturer", "installer"), pk=pk
    )
    records = list(elevator.history.select_related("history_user").order_by("-history_date", "-history_id"))
    changes = []
    for newer, older in zip(records, records[1:] + [None], strict=True):
        delta = newer.diff_against(older) if older is not None else None
        changes.append({"record": newer, "changes": delta.changes if delta else []})
    return render(
        request,
        "registry/elevator_detail.html",
        {
            "elevator": elevator,
            "changes": changes,
            "can_change": access.can_change_elevator(request.user, elevator),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def elevator_edit(request, pk=None):
    elevator = None
    if pk is not None:
        elevator = get_object_or_404(elevator_list_queryset(user=request.user), pk=pk)
    require(access.can_change_elevator(request.user, elevator))
    form = ElevatorForm(request.POST or None, instance=elevator, district_choices=access.districts_for(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            saved = elevator_save(elevator=form.instance, changed_by=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("电梯 %(code)s 已保存。") % {"code": saved.registration_code})
            return redirect(saved.get_absolute_url())
    return render(request, "registry/elevator_form.html", {"form": form, "elevator": elevator})


@login_required
def organization_list(request):
    require(access.can_view_registry(request.user))
    filterset = OrganizationFilterSet(
        request.GET or None, queryset=access.organizations_for(request.user).select_related("district")
    )
    return _filtered_list(
        request,
        filterset,
        columns=ORGANIZATION_EXPORT,
        basename="organizations",
        template="registry/organization_list.html",
        can_create=access.can_change_organization(request.user),
    )


@login_required
@require_http_methods(["GET", "POST"])
def organization_edit(request, pk=None):
    organization = None
    if pk is not None:
        organization = get_object_or_404(access.organizations_for(request.user), pk=pk)
    require(access.can_change_organization(request.user, organization))
    form = OrganizationForm(
        request.POST or None, instance=organization, district_choices=access.districts_for(request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = organization_save(organization=form.instance, changed_by=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("单位“%(name)s”已保存。") % {"name": saved.name})
            return redirect("registry:organization_list")
    return render(request, "registry/organization_form.html", {"form": form, "organization": organization})


# ---------------------------------------------------------------- bulk import


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    require(access.can_import(request.user))
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_start(
                user=request.user, kind=form.cleaned_data["kind"], uploaded_file=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            for message in exc.message_dict.get("file", exc.messages):
                form.add_error("file", message)
        else:
            if not job.is_finished:
                # Committed before a worker is asked (even with the broker down): the watchdog sees it through.
                messages.info(request, _("文件已上传，导入任务已排队，将在后台处理；本页会自动显示进度和结果。"))
            return redirect("registry:import_detail", pk=job.pk)
    jobs = access.import_jobs_for(request.user).select_related("created_by")[:10]
    return render(request, "registry/import_upload.html", {"form": form, "jobs": jobs, "kinds": ImportKind})


@login_required
def import_detail(request, pk):
    job = get_object_or_404(access.import_jobs_for(request.user), pk=pk)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "status": job.status,
                "status_display": job.get_status_display(),
                "total_rows": job.total_rows,
                "processed_rows": job.processed_rows,
                "created_rows": job.created_rows,
                "error_count": len(job.errors),
                "progress_percent": job.progress_percent,
                "finished": job.is_finished,
            }
        )
    return render(request, "registry/import_detail.html", {"job": job, "errors": job.errors[:200]})


@login_required
def import_report(request, pk):
    """The downloadable report of a finished import: every bad row, or the count imported."""
    job = get_object_or_404(access.import_jobs_for(request.user), pk=pk)
    if job.errors:
        rows = ([e["row"], e["field"], e["message"]] for e in job.errors)
        header = [_("行号"), _("字段"), _("原因")]
    else:
        rows = iter([[job.get_status_display(), job.created_rows]])
        header = [_("结果"), _("导入行数")]
    response = HttpResponse("".join(csv_stream(header, rows)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-report.csv"'
    return response


@login_required
def import_template(request, kind):
    require(access.can_import(request.user))
    if kind not in ImportKind.values:
        raise Http404
    response = HttpResponse("".join(csv_stream(template_header(kind), [])), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}-template.csv"'
    return response
