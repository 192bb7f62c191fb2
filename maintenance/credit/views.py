"""Pages of the maintenance-firm credit evaluation (plan §2(2) 维保企业信息网上公开, §2(11) 信息公示).

The directory and the firm page are public: firm data, numbers and counted events only, never people's data.
The ranking with its CSV export is a regulators' tool.
"""

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import access
from departments.choices import FIRM_ANSWERABLE_CATEGORIES, Category
from elevator_portal.exports import export_response
from elevator_portal.pages import paginate
from registry.choices import OrganizationKind
from registry.models import Organization

from . import selectors, services

EVENT_LABELS = {
    services.EVENT_ACCIDENT: gettext_lazy("事故"),
    services.EVENT_FAILURE: gettext_lazy("故障"),
    services.EVENT_FIRST_INSPECTION_FAILED: gettext_lazy("首次检验不合格"),
}

RANKING_EXPORT = [
    ("排名", lambda e: e.rank),
    ("维保单位", lambda e: e.firm.name),
    ("许可证编号", lambda e: e.firm.licence_no),
    ("许可证有效期至", lambda e: e.firm.licence_valid_until.isoformat() if e.firm.licence_valid_until else ""),
    ("月份", lambda e: f"{e.period:%Y-%m}"),
    ("统计起始", lambda e: e.window_start.isoformat()),
    ("统计截止", lambda e: e.window_end.isoformat()),
    ("维保电梯数", lambda e: e.elevators),
    ("事故数", lambda e: e.accidents),
    ("事故率（每百台）", lambda e: e.accident_rate),
    ("故障数", lambda e: e.failures),
    ("故障率（每百台）", lambda e: e.failure_rate),
    ("有效投诉数", lambda e: e.complaints),
    ("投诉率（每百台）", lambda e: e.complaint_rate),
    ("首次定期检验数", lambda e: e.first_inspections),
    ("首次检验合格数", lambda e: e.first_passes),
    ("一次性检验合格率（%）", lambda e: "" if e.first_pass_rate is None else e.first_pass_rate),
    ("得分", lambda e: e.score),
    ("等级", lambda e: e.grade),
    ("降级原因", lambda e: e.capped_reason),
]


def _formula() -> dict:
    """The weights and limits of the score, from the module that computes it, for the pages to print."""
    return {
        "first_pass": services.WEIGHT_FIRST_PASS,
        "failures": services.WEIGHT_FAILURES,
        "complaints": services.WEIGHT_COMPLAINTS,
        "no_accident": services.WEIGHT_NO_ACCIDENT,
        "failure_rate_at_zero": services.FAILURE_RATE_AT_ZERO,
        "complaint_rate_at_zero": services.COMPLAINT_RATE_AT_ZERO,
        "thresholds": [(grade, threshold) for threshold, grade in services.GRADE_THRESHOLDS],
        # Plan §2(8): only the complaints a firm answers for count against it; the others go to other units.
        # Quoted, since labels such as “电梯故障、停梯” contain the list's own separator.
        "counted_categories": "、".join(f"“{Category(c).label}”" for c in FIRM_ANSWERABLE_CATEGORIES),
        "other_categories": "、".join(
            f"“{label}”" for value, label in Category.choices if value not in FIRM_ANSWERABLE_CATEGORIES
        ),
    }


def directory(request):
    """Public: every maintenance firm with its licence, elevators maintained now and latest grade."""
    q = request.GET.get("q", "").strip()
    page, querystring = paginate(request, selectors.credit_directory(q=q))
    return render(
        request,
        "maintenance/credit/directory.html",
        {"page": page, "querystring": querystring, "q": q, "can_rank": access.is_regulator(request.user)},
    )


def firm_detail(request, pk):
    """Public: a firm's grade, each metric, the formula in words and the events counted."""
    firm = get_object_or_404(
        Organization.objects.select_related("district"), pk=pk, kind=OrganizationKind.MAINTENANCE, is_active=True
    )
    history = selectors.credit_history(firm=firm)
    evaluation = history[0] if history else None
    parts = None
    if evaluation is not None:
        parts = {
            key: value.quantize(services.CENT)
            for key, value in services.credit_score_parts(
                first_pass_rate=evaluation.first_pass_rate,
                failure_rate=evaluation.failure_rate,
                complaint_rate=evaluation.complaint_rate,
                accidents=evaluation.accidents,
            ).items()
        }
    events = [
        {**event, "label": EVENT_LABELS.get(event.get("kind"), event.get("kind"))}
        for event in (evaluation.events if evaluation else [])
    ]
    return render(
        request,
        "maintenance/credit/firm.html",
        {
            "firm": firm,
            "evaluation": evaluation,
            "history": history,
            "parts": parts,
            "events": events,
            "formula": _formula(),
        },
    )


def _month(value: str | None) -> date | None:
    try:
        year, month = (int(x) for x in (value or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


@login_required
def ranking(request):
    """Regulators: all firms of one month ranked by score, exported as CSV with `?export=csv`."""
    if not access.is_regulator(request.user):
        raise PermissionDenied(_("您没有权限访问此页面。"))
    period = _month(request.GET.get("period"))
    qs = selectors.credit_ranking(period=period)
    if request.GET.get("export") == "csv":
        return export_response(queryset=qs, columns=RANKING_EXPORT, fmt="csv", basename="credit-ranking")
    periods = selectors.credit_periods()
    page, querystring = paginate(request, qs)
    return render(
        request,
        "maintenance/credit/ranking.html",
        {
            "page": page,
            "querystring": querystring,
            "periods": periods,
            "period": period or (periods[0] if periods else None),
            "formula": _formula(),
        },
    )
