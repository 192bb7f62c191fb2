"""The regulators' dashboards (docs/rules.md "Journey 3: a regulator reads dashboards"): the city, or one district,
over a date range.

Every number on the page links to the list behind it, built here with the same filters that list takes.
"""

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import access
from complaints.filtersets import OPEN
from elevator_portal.filters import CheckedDateField

from .selectors import dashboard_districts, dashboard_numbers, years_ago

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}, format="%Y-%m-%d")
# A range longer than this makes a chart of tiny bars; the monthly chart stays readable up to ten years.
MAX_RANGE_DAYS = 3660


class DateRangeForm(forms.Form):
    """The period of the fault figures; the default is the last 12 months up to today."""

    # Days from 1900 to 2999 only (elevator_portal.filters): 9999-12-31 overflowed the day's bounds (a 500).
    since = CheckedDateField(label=gettext_lazy("起始日期"), required=False, widget=DATE)
    until = CheckedDateField(label=gettext_lazy("截止日期"), required=False, widget=DATE)

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("起始日期不能晚于截止日期。"))
        if since and until and (until - since).days > MAX_RANGE_DAYS:
            raise forms.ValidationError(_("日期范围不能超过十年。"))
        return data


def default_range(today):
    return years_ago(today, 1) + timedelta(days=1), today


def _url(name: str, **params) -> str:
    query = urlencode([(k, v) for k, v in params.items() if v not in (None, "")])
    return f"{reverse(name)}?{query}" if query else reverse(name)


def _with_links(numbers: dict) -> dict:
    """Attach to every figure the URL of the filtered list it counts."""
    district = numbers["district"]
    scope = {"district_id": district.pk} if district else {}
    code = district.code if district else None
    elevators = numbers["elevators"]

    def registry(**params):
        return _url("registry:elevator_list", **scope, **params)

    elevators["url"] = registry()
    elevators["in_use_url"] = registry(status="in_use")
    elevators["maintenance_overdue_url"] = registry(maintenance_overdue="true")
    for row in elevators["by_district"]:
        row["url"] = _url("registry:elevator_list", district_id=row["id"])
        row["in_use_url"] = _url("registry:elevator_list", district_id=row["id"], status="in_use")
        row["maintenance_overdue_url"] = _url(
            "registry:elevator_list", district_id=row["id"], maintenance_overdue="true"
        )
        row["dashboard_url"] = reverse("dashboards:district", args=[row["code"]])
        row["urls"] = {
            key: _url("registry:elevator_list", district_id=row["id"], status="in_use", inspection_status=key)
            for key in ("valid", "expiring", "expired", "failed", "unknown")
        }
    for row in elevators["by_type"]:
        row["url"] = registry(elevator_type=row["value"])
    for row in elevators["by_status"]:
        row["url"] = registry(status=row["value"])
    for row in elevators["inspection"]:
        row["url"] = registry(status="in_use", inspection_status=row["value"])
    labels = {"lt5": _("5年以下"), "5to10": _("5–10年"), "10to15": _("10–15年"), "ge15": _("15年及以上")}
    for row in elevators["by_age"]:
        row["label"] = labels[row["key"]]
        row["url"] = registry(
            commissioned_after=row["after"] and row["after"].isoformat(),
            commissioned_before=row["before"] and row["before"].isoformat(),
        )

    faults = numbers["faults"]
    for m in faults["months"]:
        m["url"] = _url("faults:list", district=code, reported_after=m["since"], reported_before=m["until"])
        m["entrapments_url"] = _url(
            "faults:list", kind="entrapment", district=code, reported_after=m["since"], reported_before=m["until"]
        )
    since, until = numbers["since"].isoformat(), numbers["until"].isoformat()
    faults["total"]["url"] = _url("faults:list", district=code, reported_after=since, reported_before=until)
    faults["total"]["entrapments_url"] = _url(
        "faults:list", kind="entrapment", district=code, reported_after=since, reported_before=until
    )
    faults["total"]["stats_url"] = _url("faults:stats", since=since, until=until)

    complaints = numbers["complaints"]
    for row in complaints["by_category"]:
        row["url"] = _url("complaints:staff_list", category=row["value"], district=code)
        row["open_url"] = _url("complaints:staff_list", status=OPEN, category=row["value"], district=code)
        row["overdue_url"] = _url("complaints:staff_list", category=row["value"], district=code, overdue="true")
    for row in complaints["by_department"]:
        row["url"] = _url("complaints:staff_list", department_id=row["id"], district=code)
        row["open_url"] = _url("complaints:staff_list", status=OPEN, department_id=row["id"], district=code)
        row["overdue_url"] = _url("complaints:staff_list", department_id=row["id"], district=code, overdue="true")
    complaints["total"]["url"] = _url("complaints:staff_list", district=code)
    complaints["total"]["open_url"] = _url("complaints:staff_list", status=OPEN, district=code)
    complaints["total"]["overdue_url"] = _url("complaints:staff_list", district=code, overdue="true")
    numbers["grades_url"] = reverse("credit:ranking")
    return numbers


def _chart_data(numbers: dict) -> dict:
    """What the charts draw (static/js/dashboard.js): labels, counts and the list each bar opens."""
    e, f, c = numbers["elevators"], numbers["faults"], numbers["complaints"]

    def series(rows, label="label", count="count", url="url"):
        return {"labels": [r[label] for r in rows], "counts": [r[count] for r in rows], "urls": [r[url] for r in rows]}

    return {
        "by_district": series(e["by_district"], label="name", count="total"),
        "by_type": series(e["by_type"]),
        "by_age": series(e["by_age"]),
        "inspection": series(e["inspection"]),
        "faults": {
            "labels": [m["month"] for m in f["months"]],
            "faults": [m["faults"] for m in f["months"]],
            "entrapments": [m["entrapments"] for m in f["months"]],
            "urls": [m["url"] for m in f["months"]],
            "label_faults": _("故障"),
            "label_entrapments": _("困人"),
        },
        "complaints": series(c["by_category"], count="total"),
        "grades": {
            "labels": [g["label"] for g in numbers["grades"]],
            "counts": [g["count"] for g in numbers["grades"]],
            "urls": [numbers["grades_url"]] * len(numbers["grades"]),
        },
    }


@login_required
def board(request, district_code: str | None = None):
    """The city dashboard (`/dashboard/`) or one district's (`/dashboard/<code>/`); regulators only.
    A district regulator always sees their own district: `/dashboard/` sends them there, another district is 404."""
    user = request.user
    if not access.is_regulator(user):
        raise PermissionDenied(_("您没有权限访问此页面。"))
    districts = dashboard_districts(user=user)
    city_wide = access.is_city_wide(user)
    range_params = {k: request.GET[k] for k in ("since", "until") if request.GET.get(k)}
    if district_code is None:
        chosen = request.GET.get("district", "")
        if not city_wide:
            if not districts:
                raise PermissionDenied(_("您的账号未设置辖区。"))
            chosen = districts[0].code
        if chosen:
            target = reverse("dashboards:district", args=[chosen])
            return redirect(f"{target}?{urlencode(range_params)}" if range_params else target)
        district = None
    else:
        district = next((d for d in districts if d.code == district_code), None)
        if district is None:
            raise Http404(_("没有这个区县，或不在您的辖区内。"))

    today = timezone.localdate()
    form = DateRangeForm(request.GET or None)
    since, until = default_range(today)
    if form.is_bound and form.is_valid():
        since = form.cleaned_data["since"] or since
        until = form.cleaned_data["until"] or until
        # One date alone may still be far from the default other end: keep the period to what the charts can show.
        if since > until or (until - since).days > MAX_RANGE_DAYS:
            since, until = default_range(until)
    numbers = _with_links(
        dashboard_numbers(user=user, district=district, since=since, until=until, today=today, districts=districts)
    )
    return render(
        request,
        "dashboards/board.html",
        {
            "n": numbers,
            "data": _chart_data(numbers),
            "form": form,
            "district": district,
            "districts": districts,
            "city_wide": city_wide,
            "since": since,
            "until": until,
            "range_query": urlencode(range_params),
        },
    )
