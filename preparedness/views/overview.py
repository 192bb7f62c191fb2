"""The use unit's compliance page and the regulators' preparedness overview (docs/rules.md "Preparedness")."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.timezone import localdate
from django.utils.translation import gettext as _

from accounts import access
from elevator_portal.exports import export_response
from elevator_portal.pages import paginate, require
from registry.selectors import elevator_search_q

from ..choices import ComplianceState
from ..selectors.compliance import (
    ITEMS,
    compliance_queryset,
    compliance_row,
    compliance_summary,
    preparedness_overview,
)


def _compliance_export_columns(today):
    """The export's columns: each item as its state and text, judged on one day for the whole file."""

    def row(elevator):
        if not hasattr(elevator, "_compliance_row"):
            elevator._compliance_row = compliance_row(elevator, today=today)
        return elevator._compliance_row

    def item_getter(index: int):
        def get(elevator):
            item = row(elevator).items[index]
            return f"{item.state_label}：{item.text}"

        return get

    return [
        (_("注册代码"), lambda e: e.registration_code),
        (_("安装地址"), lambda e: e.address),
        (_("区县"), lambda e: e.district.name),
        (_("使用单位"), lambda e: e.use_unit.name if e.use_unit else ""),
        (_("总体"), lambda e: str(row(e).state_label)),
        *[(str(label), item_getter(i)) for i, label in enumerate(ITEMS.values())],
    ]


def _filters(request):
    """The list's filters, each checked against the user's scope: an unknown or foreign value is ignored (and the
    page says which filters apply)."""
    user = request.user
    district = use_unit = None
    district_id = request.GET.get("district", "")
    if district_id.isdigit():
        district = access.districts_for(user).filter(pk=int(district_id)).first()
    if access.is_regulator(user):
        use_unit_id = request.GET.get("use_unit", "")
        if use_unit_id.isdigit():
            use_unit = access.preparedness_use_units_for(user).filter(pk=int(use_unit_id)).first()
    missing = request.GET.get("missing", "")
    return district, use_unit, (missing if missing in ITEMS else ""), request.GET.get("q", "").strip()[:50]


def _actions(user, row) -> dict:
    """Where each item that is not green is put right: the page of the portal that records it."""
    e = row.elevator
    for_unit = f"?use_unit={e.use_unit_id}" if access.is_regulator(user) and e.use_unit_id else ""
    links = {
        "maintenance": reverse("maintenance:contracts"),
        "certificate": reverse("preparedness:certificate_edit", args=[e.pk]),
        "manager": reverse("preparedness:safety") + for_unit,
        "plan": reverse("preparedness:plan_new") + for_unit,
        "drill": reverse("preparedness:drill_new") + f"?elevator={e.pk}",
        "insurance": reverse("preparedness:policy_new") + for_unit,
    }
    if access.can_apply_for_inspection(user, e):
        links["inspection"] = reverse("inspections:apply", args=[e.pk])
    return {item.key: links[item.key] for item in row.items if item.state != ComplianceState.OK and item.key in links}


@login_required
def compliance(request):
    """Each elevator in use of the user's scope against the seven items, with what is missing and what is due next;
    a use unit sees its own (plan §2(7)), regulators their scope, filtered by district, use unit and missing item."""
    user = request.user
    require(access.can_manage_preparedness(user))
    today = localdate()
    district, use_unit, missing, q = _filters(request)
    base = compliance_queryset(user=user, today=today, district=district, use_unit=use_unit)
    qs = compliance_queryset(user=user, today=today, district=district, use_unit=use_unit, missing=missing)
    if q:
        qs = qs.filter(elevator_search_q(q))
    if request.GET.get("export") in ("csv", "xlsx"):
        return export_response(
            queryset=qs,
            columns=_compliance_export_columns(today),
            fmt=request.GET["export"],
            basename="compliance",
        )
    page, querystring = paginate(request, qs)
    rows = [compliance_row(e, today=today) for e in page.object_list]
    for row in rows:
        row.actions = _actions(user, row)
    summary = compliance_summary(base, today=today)
    return render(
        request,
        "preparedness/compliance.html",
        {
            "page": page,
            "rows": rows,
            "querystring": querystring,
            "summary": summary,
            "items": ITEMS,
            "summary_items": [(key, label, summary["red"][key]) for key, label in ITEMS.items()],
            "district": district,
            "use_unit": use_unit,
            "missing": missing,
            "missing_label": ITEMS.get(missing, ""),
            "q": q,
            "districts": access.districts_for(user) if access.is_regulator(user) else [],
            "is_regulator": access.is_regulator(user),
            "today": today,
            "states": ComplianceState,
        },
    )


@login_required
def overview(request):
    """Regulators: per district, the elevators in use and how many lack each item, with the coverage rate of
    liability insurance (plan §2(12)); every figure opens the list behind it."""
    require(access.can_view_preparedness_overview(request.user))
    today = localdate()
    lines, total = preparedness_overview(user=request.user, today=today)
    return render(
        request,
        "preparedness/overview.html",
        {"lines": lines, "total": total, "items": ITEMS, "today": today},
    )


urlpatterns = [
    path("", overview, name="overview"),
    path("compliance/", compliance, name="compliance"),
]
